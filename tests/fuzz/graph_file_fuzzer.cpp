// libFuzzer target: the HDF5 dataset loader on files that break the gat-graphs format.
// The input does not become the file's bytes: it edits a valid file's content (remove or
// replace a dataset with another dtype, shape and values, change one value, an attribute or a
// split level), which is then written with the HDF5 library and loaded. That aims the fuzzer at
// our validation (docs/data_format.md) rather than at libhdf5's own parser of corrupt bytes.
// A file the loader accepts must satisfy every rule of the format.
#include <fuzzer/FuzzedDataProvider.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "data/graph_dataset.h"
#include "fuzz_check.h"
#include "support/graph_file.h"

namespace {

using gat::fuzz::expect;

const char* const kDatasets[] = {"/features",
                                 "/labels",
                                 "/edge_index",
                                 "/graph_ptr",
                                 "/edge_ptr",
                                 "/splits/train",
                                 "/splits/val",
                                 "/splits/test",
                                 "/partition/cluster_ptr",
                                 "/partition/node_perm",
                                 "/partition/cluster"};
const char* const kAttributes[] = {"format", "version", "task", "num_classes"};
const torch::Dtype kDtypes[] = {torch::kFloat32, torch::kInt64, torch::kUInt8, torch::kFloat64,
                                torch::kInt32,   torch::kInt16, torch::kInt8};

// Mostly values at and around the valid ranges of the 5-node, 2-graph file (an id one past the
// end, a node of the other graph), sometimes the extremes a corrupt file holds.
double fuzzed_value(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange(0, 11)) {
    case 0:
      return std::numeric_limits<double>::quiet_NaN();
    case 1:
      return std::numeric_limits<double>::infinity();
    case 2:
      return static_cast<double>(std::numeric_limits<int64_t>::max());
    case 3:
      return static_cast<double>(std::numeric_limits<int64_t>::min());
    case 4:
      return in.ConsumeFloatingPoint<double>();
    default:
      return in.ConsumeIntegralInRange(-1, 6);
  }
}

// float64 values as `dtype`. Casting NaN, infinities or out-of-range values to an integer type is
// undefined behaviour, so those are clamped first (int64 to +-2^62, which doubles hold exactly).
torch::Tensor as_dtype(const torch::Tensor& t, torch::Dtype dtype) {
  if (dtype == torch::kFloat32 || dtype == torch::kFloat64) return t.to(dtype);
  double lo = -4.6e18, hi = 4.6e18;
  switch (dtype) {
    case torch::kInt32:
      lo = std::numeric_limits<int32_t>::min(), hi = std::numeric_limits<int32_t>::max();
      break;
    case torch::kInt16:
      lo = std::numeric_limits<int16_t>::min(), hi = std::numeric_limits<int16_t>::max();
      break;
    case torch::kInt8:
      lo = std::numeric_limits<int8_t>::min(), hi = std::numeric_limits<int8_t>::max();
      break;
    case torch::kUInt8:
      lo = 0, hi = 255;
      break;
    default:
      break;
  }
  return t.nan_to_num(0, hi, lo).clamp(lo, hi).to(dtype);
}

// A tensor of a fuzzed dtype and shape (rank 0 to 3, up to 8 per dimension).
torch::Tensor fuzzed_tensor(FuzzedDataProvider& in) {
  const torch::Dtype dtype = in.PickValueInArray(kDtypes);
  std::vector<int64_t> shape(in.ConsumeIntegralInRange(0, 3));
  for (int64_t& d : shape) d = in.ConsumeIntegralInRange(0, 8);
  torch::Tensor t = torch::zeros(shape, torch::kFloat64);
  for (int64_t i = 0; i < t.numel() && in.remaining_bytes() > 0; ++i) t.view(-1)[i] = fuzzed_value(in);
  return as_dtype(t, dtype);
}

// One change to the file. Half of them change one value: the rules between values (ids in range,
// offsets that agree, edges inside their graph) are where validation is easiest to get wrong.
void edit(FuzzedDataProvider& in, gat::testing::GraphFileSpec& spec) {
  const std::string name = in.PickValueInArray(kDatasets);
  switch (in.ConsumeIntegralInRange(0, 9)) {
    case 0:
      spec.datasets.erase(name);
      break;
    case 1:
      spec.datasets[name] = fuzzed_tensor(in);
      break;
    case 2:
    case 3:
    case 4:
    case 5:
    case 6: {  // one value of an existing dataset, keeping its dtype
      auto it = spec.datasets.find(name);
      if (it == spec.datasets.end() || it->second.numel() == 0) break;
      torch::Tensor t = it->second.to(torch::kFloat64).clone();
      t.view(-1)[in.ConsumeIntegralInRange<int64_t>(0, t.numel() - 1)] = fuzzed_value(in);
      it->second = as_dtype(t, it->second.scalar_type());
      break;
    }
    case 7: {
      const std::string attribute = in.PickValueInArray(kAttributes);
      if (in.ConsumeBool())
        spec.root_attributes[attribute] = in.ConsumeRandomLengthString(16);
      else
        spec.root_attributes[attribute] = in.ConsumeIntegralInRange<int64_t>(-2, 1000);
      break;
    }
    case 8:
      spec.root_attributes.erase(in.PickValueInArray(kAttributes));
      break;
    default: {
      if (name.rfind("/splits/", 0) != 0) break;
      const int choice = in.ConsumeIntegralInRange(0, 3);
      spec.split_levels[name] = choice == 0   ? std::nullopt
                                : choice == 1 ? std::optional<std::string>("graph")
                                : choice == 2 ? std::optional<std::string>("node")
                                              : std::optional<std::string>(in.ConsumeRandomLengthString(8));
    }
  }
}

bool in_range(const torch::Tensor& ids, int64_t lo, int64_t hi) {
  return ids.numel() == 0 || (ids.min().item<int64_t>() >= lo && ids.max().item<int64_t>() < hi);
}

// The rules of docs/data_format.md, checked on what the loader accepted.
void expect_valid(const gat::data::GraphDataset& d) {
  const int64_t n = d.num_nodes(), g = d.num_graphs(), c = d.num_classes;
  expect(d.features.dim() == 2 && n >= 1 && d.num_features() >= 1,
         "accepted features of shape " + std::to_string(d.features.dim()));
  expect(d.features.isfinite().all().item<bool>(), "accepted non-finite features");
  expect(c > 0, "accepted num_classes " + std::to_string(c));
  if (d.task == gat::data::Task::kMulticlass)
    expect(d.labels.sizes() == torch::IntArrayRef({n}) && in_range(d.labels, 0, c), "accepted bad multiclass labels");
  else
    expect(d.labels.sizes() == torch::IntArrayRef({n, c}) && in_range(d.labels.to(torch::kInt64), 0, 2),
           "accepted bad multilabel labels");
  expect(d.edge_index.dim() == 2 && d.edge_index.size(0) == 2 && in_range(d.edge_index, 0, n), "accepted bad edge ids");
  expect(g >= 1 && d.graph_ptr[0].item<int64_t>() == 0 && d.graph_ptr[g].item<int64_t>() == n &&
             (d.graph_ptr.diff() >= 0).all().item<bool>(),
         "accepted a bad graph_ptr");
  expect(d.edge_ptr.size(0) == g + 1 && d.edge_ptr[0].item<int64_t>() == 0 &&
             d.edge_ptr[g].item<int64_t>() == d.num_edges() && (d.edge_ptr.diff() >= 0).all().item<bool>(),
         "accepted a bad edge_ptr");
  for (int64_t k = 0; k < g; ++k) {
    const torch::Tensor cols = d.edge_index.slice(1, d.edge_ptr[k].item<int64_t>(), d.edge_ptr[k + 1].item<int64_t>());
    expect(in_range(cols, d.graph_ptr[k].item<int64_t>(), d.graph_ptr[k + 1].item<int64_t>()),
           "accepted an edge that crosses graphs");
  }
  const gat::data::SplitLevel level = d.train.level;
  for (const gat::data::Split* s : {&d.train, &d.val, &d.test}) {
    expect(s->level == level && s->ids.dim() == 1, "accepted splits of mixed levels or shapes");
    expect(in_range(s->ids, 0, level == gat::data::SplitLevel::kGraph ? g : n), "accepted a split id out of range");
  }
  if (!d.partition) return;
  // Rules 10 to 12: one graph, node splits, edges sorted by target, and a partition that is one.
  const gat::data::Partition& p = *d.partition;
  const int64_t k = p.num_clusters();
  expect(g == 1 && level == gat::data::SplitLevel::kNode, "accepted a partition of several graphs or graph splits");
  expect(d.num_edges() < 2 || (d.edge_index[1].diff() >= 0).all().item<bool>(), "accepted unsorted targets");
  expect(k >= 1 && p.cluster_ptr[0].item<int64_t>() == 0 && p.cluster_ptr[k].item<int64_t>() == n &&
             (p.cluster_ptr.diff() >= 0).all().item<bool>(),
         "accepted a bad cluster_ptr");
  expect(p.node_perm.sizes() == torch::IntArrayRef({n}) &&
             std::get<0>(p.node_perm.sort()).equal(torch::arange(n, torch::kInt64)),
         "accepted a node_perm that is not a permutation");
  expect(p.cluster.sizes() == torch::IntArrayRef({n}) && in_range(p.cluster, 0, k), "accepted a cluster out of range");
  const torch::Tensor row_cluster = torch::repeat_interleave(torch::arange(k, torch::kInt64), p.cluster_ptr.diff());
  expect(p.cluster.index_select(0, p.node_perm).equal(row_cluster), "accepted rows and clusters that disagree");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // In memory where there is a tmpfs: each input is a whole file written and read back.
  static const std::string path = std::string(::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp") +
                                  "/gat_graph_fuzzer." + std::to_string(::getpid()) + ".h5";
  FuzzedDataProvider in(data, size);
  gat::testing::GraphFileSpec spec;
  if (in.ConsumeBool()) spec.node_splits();
  if (in.ConsumeBool()) spec.multilabel();
  if (in.ConsumeBool()) spec.partitioned();
  for (int edits = in.ConsumeIntegralInRange(0, 4); edits > 0; --edits) edit(in, spec);
  gat::testing::write_graph_file(path, spec);
  gat::data::GraphDataset dataset;
  if (gat::fuzz::accepted(path, [&] { dataset = gat::data::load_graph_dataset(path); })) expect_valid(dataset);
  return 0;
}
