// Reading a gat-graphs file and checking every rule of docs/data_format.md, each in one pass.
#include "data/graph_dataset.h"

#include <optional>
#include <utility>
#include <vector>

#include "common/error.h"
#include "data/graph_checks.h"
#include "data/graph_partition.h"
#include "data/h5_file.h"

namespace gat::data {
namespace {

// Returns the format's version: 1, or 2 for a partitioned graph.
int64_t read_root_attributes(const Checker& check, GraphDataset& d) {
  const std::string format = check.string_attribute("/", "format");
  if (format != "gat-graphs") check.fail("/", "attribute format: expected 'gat-graphs', got " + quoted(format));
  const int64_t version = check.int_attribute("/", "version");
  if (version != 1 && version != 2)
    check.fail("/", "attribute version: expected 1 or 2, got " + std::to_string(version));
  const std::string task = check.string_attribute("/", "task");
  if (task == "multiclass") {
    d.task = Task::kMulticlass;
  } else if (task == "multilabel") {
    d.task = Task::kMultilabel;
  } else {
    check.fail("/", "attribute task: expected 'multiclass' or 'multilabel', got " + quoted(task));
  }
  d.num_classes = check.int_attribute("/", "num_classes");
  if (d.num_classes <= 0) check.fail("/", "attribute num_classes: expected > 0, got " + std::to_string(d.num_classes));
  return version;
}

// The bulk datasets (features, labels, edges) are checked for type and shape first. Read whole
// (`values`), each of their rules is checked too; left in the file, each must be stored in full
// (a GraphStream checks a graph's values when it reads them).
struct Bulk {
  const H5File& file;
  const Checker& check;
  bool values;

  std::optional<torch::Tensor> read(const std::string& dataset) const {
    if (values) return file.read(dataset);
    file.check_stored(dataset);
    return std::nullopt;
  }
};

void read_features(const Bulk& bulk, GraphDataset& d) {
  const std::vector<int64_t> shape = bulk.check.expect_type("/features", "float32", 2);
  if (shape[0] < 1 || shape[1] < 1)
    bulk.check.fail("/features", "expected at least one node and one feature, got shape " + shape_string(shape));
  if (const auto values = bulk.read("/features")) {
    d.features = *values;
    check_features(bulk.check, d.features, 0);
  } else {
    d.streamed = StreamedShape{shape[0], shape[1], 0};
  }
}

void read_labels(const Bulk& bulk, GraphDataset& d) {
  const int64_t n = d.num_nodes();
  const bool multiclass = d.task == Task::kMulticlass;
  const std::vector<int64_t> shape =
      bulk.check.expect_type("/labels", multiclass ? "int64" : "uint8", multiclass ? 1 : 2);
  if (multiclass)
    bulk.check.expect_shape("/labels", shape, {n}, " (one class per node)");
  else
    bulk.check.expect_shape("/labels", shape, {n, d.num_classes}, " (nodes x num_classes)");
  if (const auto values = bulk.read("/labels")) {
    d.labels = *values;
    check_labels(bulk.check, d.task, d.num_classes, d.labels, 0);
  }
}

void read_edges(const Bulk& bulk, GraphDataset& d) {
  const Checker& check = bulk.check;
  const std::vector<int64_t> shape = check.expect_type("/edge_index", "int64", 2);
  if (shape[0] != 2) check.fail("/edge_index", "expected shape [2, E], got " + shape_string(shape));
  if (const auto values = bulk.read("/edge_index")) {
    d.edge_index = *values;
    check_node_ids(check, d.edge_index, 0, d.num_nodes());
  } else {
    d.streamed->edges = shape[1];
  }
  const int64_t e = d.num_edges();

  d.graph_ptr = check.read("/graph_ptr", "int64", 1);
  if (d.graph_ptr.size(0) < 2)
    check.fail("/graph_ptr", "expected shape [G + 1] with G >= 1, got " + shape_string(d.graph_ptr.sizes()));
  check.expect_offsets("/graph_ptr", d.graph_ptr, d.num_nodes(), "nodes");
  const int64_t g = d.num_graphs();
  d.edge_ptr = check.read("/edge_ptr", "int64", 1);
  check.expect_shape("/edge_ptr", d.edge_ptr.sizes(), {g + 1}, " (like /graph_ptr)");
  check.expect_offsets("/edge_ptr", d.edge_ptr, e, "edges");
  if (!bulk.values) return;

  // No edge crosses graphs: each graph's edge columns against its node range [lo, hi). Sources
  // first, then targets, so that the offender named is the one the Python validator names.
  const auto node_ptr = d.graph_ptr.accessor<int64_t, 1>();
  const auto edge_ptr = d.edge_ptr.accessor<int64_t, 1>();
  for (int64_t row = 0; row < 2; ++row) {
    const int64_t* ids = d.edge_index.data_ptr<int64_t>() + row * e;
    for (int64_t graph = 0; graph < g; ++graph)
      check_edges_in_graph(check, ids + edge_ptr[graph], edge_ptr[graph], edge_ptr[graph + 1] - edge_ptr[graph], graph,
                           node_ptr[graph], node_ptr[graph + 1]);
  }
}

Split read_split(const Checker& check, const std::string& dataset) {
  Split split;
  split.ids = check.read(dataset, "int64", 1);
  const std::string level = check.string_attribute(dataset, "level");
  if (level == "graph") {
    split.level = SplitLevel::kGraph;
  } else if (level == "node") {
    split.level = SplitLevel::kNode;
  } else {
    check.fail(dataset, "attribute level: expected 'graph' or 'node', got " + quoted(level));
  }
  return split;
}

void read_splits(const H5File& file, const Checker& check, GraphDataset& d) {
  if (!file.has("/splits")) check.fail("/splits", "missing");
  const std::vector<std::pair<std::string, Split*>> splits = {
      {"/splits/train", &d.train}, {"/splits/val", &d.val}, {"/splits/test", &d.test}};
  for (const auto& [dataset, split] : splits) *split = read_split(check, dataset);
  for (const auto& [dataset, split] : splits)
    if (split->level != d.train.level)
      check.fail(dataset, std::string("attribute level: expected '") + to_string(d.train.level) +
                              "' like /splits/train, got '" + to_string(split->level) + "'");
  const bool graphs = d.train.level == SplitLevel::kGraph;
  for (const auto& [dataset, split] : splits)
    check.expect_ids_in_range(dataset, split->ids, graphs ? d.num_graphs() : d.num_nodes(),
                              graphs ? "graph id" : "node id",
                              [](int64_t i) { return " at entry " + std::to_string(i); });
}

}  // namespace

const char* to_string(Task task) { return task == Task::kMulticlass ? "multiclass" : "multilabel"; }

const char* to_string(SplitLevel level) { return level == SplitLevel::kGraph ? "graph" : "node"; }

GraphDataset load_graph_dataset(const std::string& path, bool values) {
  const H5File file(path, H5File::Mode::kRead);
  const Checker check(file);
  const Bulk bulk{file, check, values};
  GraphDataset d;
  d.path = path;
  // In dependency order: the attributes say how to read labels, features give N, edges give E.
  const int64_t version = read_root_attributes(check, d);
  read_features(bulk, d);
  read_labels(bulk, d);
  read_edges(bulk, d);
  read_splits(file, check, d);
  if (!values && d.train.level == SplitLevel::kNode)
    throw Error(path +
                ": data.load: stream reads graph-level datasets graph by graph; this one has node-level "
                "splits (one graph that every rank holds whole): use data.load: memory");
  if (version == 2) d.partition = read_partition(file, check, d);
  return d;
}

const Split& split_named(const GraphDataset& dataset, const std::string& name) {
  if (name == "train") return dataset.train;
  if (name == "val") return dataset.val;
  if (name == "test") return dataset.test;
  throw Error("split: expected train, val or test, got \"" + name + "\"");
}

torch::Tensor rows_summing_to_one(const torch::Tensor& x) {
  const torch::Tensor sums = x.sum(1, /*keepdim=*/true);
  return x / sums.masked_fill(sums == 0, 1);
}

GraphDataset without_edges(GraphDataset dataset) {
  dataset.edge_index = dataset.edge_index.new_empty({2, 0});
  dataset.edge_ptr = torch::zeros_like(dataset.edge_ptr);
  return dataset;
}

}  // namespace gat::data
