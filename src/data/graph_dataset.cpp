// Reading a gat-graphs file and checking every rule of docs/data_format.md, with whole-tensor ops.
#include "data/graph_dataset.h"

#include <sstream>

#include "common/error.h"
#include "data/h5_file.h"

namespace gat::data {
namespace {

std::string shape_string(c10::IntArrayRef shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// Validation failures all read "<file>: <object>: <message>".
class Checker {
 public:
  explicit Checker(const H5File& file) : file_(file) {}

  [[noreturn]] void fail(const std::string& object, const std::string& message) const {
    throw Error(file_.path() + ": " + object + ": " + message);
  }

  std::string string_attribute(const std::string& object, const std::string& name) const {
    const auto value = file_.string_attribute(object, name);
    if (!value) fail(object, "attribute " + name + ": missing");
    return *value;
  }

  int64_t int_attribute(const std::string& object, const std::string& name) const {
    const auto value = file_.int_attribute(object, name);
    if (!value) fail(object, "attribute " + name + ": missing");
    return *value;
  }

  // The dataset, checked for existence, element type and number of dimensions.
  torch::Tensor read(const std::string& dataset, const std::string& dtype, int64_t dims) const {
    if (!file_.has(dataset)) fail(dataset, "missing");
    const std::string got = file_.dtype(dataset);
    if (got != dtype) fail(dataset, "expected " + dtype + ", got " + got);
    const std::vector<int64_t> shape = file_.shape(dataset);
    if (static_cast<int64_t>(shape.size()) != dims)
      fail(dataset, "expected " + std::to_string(dims) + " dimensions, got shape " + shape_string(shape));
    return file_.read(dataset);
  }

  void expect_shape(const std::string& dataset, const torch::Tensor& t, std::vector<int64_t> shape,
                    const std::string& meaning) const {
    if (t.sizes() != c10::IntArrayRef(shape))
      fail(dataset, "expected shape " + shape_string(shape) + meaning + ", got " + shape_string(t.sizes()));
  }

  // Every entry of int64 `ids` in [0, end); names the first offender.
  void expect_ids_in_range(const std::string& dataset, const torch::Tensor& ids, int64_t end, const std::string& what,
                           const std::function<std::string(int64_t)>& where) const {
    const torch::Tensor bad = ((ids < 0) | (ids >= end)).flatten();
    if (!bad.any().item<bool>()) return;
    const int64_t i = bad.nonzero()[0].item<int64_t>();
    fail(dataset, what + " " + std::to_string(ids.flatten()[i].item<int64_t>()) + where(i) + " is out of range [0, " +
                      std::to_string(end) + ")");
  }

  // ptr[0] = 0, non-decreasing, ptr[last] = end.
  void expect_offsets(const std::string& dataset, const torch::Tensor& ptr, int64_t end, const std::string& what) const {
    const auto p = ptr.accessor<int64_t, 1>();
    if (p[0] != 0) fail(dataset, "expected first entry 0, got " + std::to_string(p[0]));
    for (int64_t i = 1; i < ptr.size(0); ++i)
      if (p[i] < p[i - 1])
        fail(dataset, "expected non-decreasing entries, got " + std::to_string(p[i - 1]) + " then " +
                          std::to_string(p[i]) + " at entries " + std::to_string(i - 1) + " and " + std::to_string(i));
    const int64_t last = p[ptr.size(0) - 1];
    if (last != end)
      fail(dataset, "expected last entry " + std::to_string(end) + " (the number of " + what + "), got " +
                        std::to_string(last));
  }

 private:
  const H5File& file_;
};

Split read_split(const Checker& check, const std::string& name) {
  const std::string dataset = "/splits/" + name;
  Split split;
  split.ids = check.read(dataset, "int64", 1);
  const std::string level = check.string_attribute(dataset, "level");
  if (level == "graph") split.level = SplitLevel::kGraph;
  else if (level == "node") split.level = SplitLevel::kNode;
  else check.fail(dataset, "attribute level: expected 'graph' or 'node', got '" + level + "'");
  return split;
}

}  // namespace

GraphDataset without_edges(GraphDataset dataset) {
  dataset.edge_index = dataset.edge_index.new_empty({2, 0});
  dataset.edge_ptr = torch::zeros_like(dataset.edge_ptr);
  return dataset;
}

const char* to_string(Task task) { return task == Task::kMulticlass ? "multiclass" : "multilabel"; }
const char* to_string(SplitLevel level) { return level == SplitLevel::kGraph ? "graph" : "node"; }

GraphDataset load_graph_dataset(const std::string& path) {
  const H5File file(path, H5File::Mode::kRead);
  const Checker check(file);
  GraphDataset d;
  d.path = path;

  const std::string format = check.string_attribute("/", "format");
  if (format != "gat-graphs") check.fail("/", "attribute format: expected 'gat-graphs', got '" + format + "'");
  const int64_t version = check.int_attribute("/", "version");
  if (version != 1) check.fail("/", "attribute version: expected 1, got " + std::to_string(version));
  const std::string task = check.string_attribute("/", "task");
  if (task == "multiclass") d.task = Task::kMulticlass;
  else if (task == "multilabel") d.task = Task::kMultilabel;
  else check.fail("/", "attribute task: expected 'multiclass' or 'multilabel', got '" + task + "'");
  d.num_classes = check.int_attribute("/", "num_classes");
  if (d.num_classes <= 0) check.fail("/", "attribute num_classes: expected > 0, got " + std::to_string(d.num_classes));

  d.features = check.read("/features", "float32", 2);
  const int64_t n = d.features.size(0);
  if (n < 1 || d.features.size(1) < 1)
    check.fail("/features", "expected at least one node and one feature, got shape " + shape_string(d.features.sizes()));
  const torch::Tensor finite = d.features.isfinite();
  if (!finite.all().item<bool>()) {
    const torch::Tensor at = finite.logical_not().nonzero()[0];
    const int64_t row = at[0].item<int64_t>(), col = at[1].item<int64_t>();
    std::ostringstream value;
    value << d.features[row][col].item<float>();
    check.fail("/features", "expected finite values, got " + value.str() + " at row " + std::to_string(row) +
                                ", column " + std::to_string(col));
  }

  if (d.task == Task::kMulticlass) {
    d.labels = check.read("/labels", "int64", 1);
    check.expect_shape("/labels", d.labels, {n}, " (one class per node)");
    check.expect_ids_in_range("/labels", d.labels, d.num_classes, "class",
                              [](int64_t i) { return " of node " + std::to_string(i); });
  } else {
    d.labels = check.read("/labels", "uint8", 2);
    check.expect_shape("/labels", d.labels, {n, d.num_classes}, " (nodes x num_classes)");
    const torch::Tensor bad = d.labels > 1;
    if (bad.any().item<bool>()) {
      const torch::Tensor at = bad.nonzero()[0];
      check.fail("/labels", "expected 0 or 1, got " + std::to_string(d.labels.index({at[0], at[1]}).item<int64_t>()) +
                                " at node " + std::to_string(at[0].item<int64_t>()) + ", label " +
                                std::to_string(at[1].item<int64_t>()));
    }
  }

  d.edge_index = check.read("/edge_index", "int64", 2);
  if (d.edge_index.size(0) != 2)
    check.fail("/edge_index", "expected shape [2, E], got " + shape_string(d.edge_index.sizes()));
  const int64_t e = d.edge_index.size(1);
  check.expect_ids_in_range("/edge_index", d.edge_index, n, "node id", [e](int64_t i) {
    return " in column " + std::to_string(i % std::max<int64_t>(e, 1));
  });

  d.graph_ptr = check.read("/graph_ptr", "int64", 1);
  if (d.graph_ptr.size(0) < 2)
    check.fail("/graph_ptr", "expected shape [G + 1] with G >= 1, got " + shape_string(d.graph_ptr.sizes()));
  check.expect_offsets("/graph_ptr", d.graph_ptr, n, "nodes");
  const int64_t g = d.num_graphs();
  d.edge_ptr = check.read("/edge_ptr", "int64", 1);
  check.expect_shape("/edge_ptr", d.edge_ptr, {g + 1}, " (like /graph_ptr)");
  check.expect_offsets("/edge_ptr", d.edge_ptr, e, "edges");

  // No edge crosses graphs: compare each endpoint with its graph's node range, edge by edge.
  if (e > 0) {
    const torch::Tensor edge_graph =
        torch::repeat_interleave(torch::arange(g, torch::kInt64), d.edge_ptr.diff(), /*dim=*/0, /*output_size=*/e);
    const torch::Tensor lo = d.graph_ptr.index_select(0, edge_graph);
    const torch::Tensor hi = d.graph_ptr.index_select(0, edge_graph + 1);
    const torch::Tensor outside = (d.edge_index < lo) | (d.edge_index >= hi);  // [2, E]
    if (outside.any().item<bool>()) {
      const torch::Tensor at = outside.nonzero()[0];
      const int64_t row = at[0].item<int64_t>(), col = at[1].item<int64_t>();
      const int64_t graph = edge_graph[col].item<int64_t>();
      check.fail("/edge_index", "node id " + std::to_string(d.edge_index[row][col].item<int64_t>()) + " in column " +
                                    std::to_string(col) + " lies outside graph " + std::to_string(graph) +
                                    "'s node range [" + std::to_string(lo[col].item<int64_t>()) + ", " +
                                    std::to_string(hi[col].item<int64_t>()) + ")");
    }
  }

  if (!file.has("/splits")) check.fail("/splits", "missing");
  d.train = read_split(check, "train");
  d.val = read_split(check, "val");
  d.test = read_split(check, "test");
  for (const auto& [name, split] : {std::pair<const char*, const Split*>{"val", &d.val}, {"test", &d.test}})
    if (split->level != d.train.level)
      check.fail(std::string("/splits/") + name, std::string("attribute level: expected '") + to_string(d.train.level) +
                                                     "' like /splits/train, got '" + to_string(split->level) + "'");
  for (const auto& [name, split] :
       {std::pair<const char*, const Split*>{"train", &d.train}, {"val", &d.val}, {"test", &d.test}}) {
    const bool graphs = split->level == SplitLevel::kGraph;
    check.expect_ids_in_range(std::string("/splits/") + name, split->ids, graphs ? g : n,
                              graphs ? "graph id" : "node id",
                              [](int64_t i) { return " at entry " + std::to_string(i); });
  }
  return d;
}

}  // namespace gat::data
