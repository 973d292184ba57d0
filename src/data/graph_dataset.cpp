// Reading a gat-graphs file and checking every rule of docs/data_format.md, each in one pass.
#include "data/graph_dataset.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <optional>
#include <sstream>
#include <utility>
#include <vector>

#include "common/error.h"
#include "data/h5_file.h"

namespace gat::data {
namespace {

std::string shape_string(c10::IntArrayRef shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// A string from the file, quoted for a message: escaped so that the message stays one line, and
// cut short so that a huge attribute cannot flood the terminal.
std::string quoted(const std::string& value) {
  constexpr std::size_t kMaxShown = 64;
  std::string out = "'";
  for (const char c : value.substr(0, kMaxShown)) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\\' || c == '\'') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (byte < 0x20 || byte == 0x7f) {
      char escaped[5];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", byte);
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + (value.size() > kMaxShown ? "...'" : "'");
}

// The index of the first entry of contiguous `t` (row-major) for which `bad` holds. One pass
// over the data, stopping at the offender: the checks below run on millions of entries, and a
// loop allocates nothing, where a chain of torch comparisons builds a temporary for each step.
template <class T, class Bad>
std::optional<int64_t> first_bad(const torch::Tensor& t, Bad bad) {
  const T* begin = t.data_ptr<T>();
  const T* end = begin + t.numel();
  const T* found = std::find_if(begin, end, bad);
  if (found == end) return std::nullopt;
  return found - begin;
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

  // The dataset, checked for existence, element type and number of dimensions before it is read.
  torch::Tensor read(const std::string& dataset, const std::string& dtype, int64_t dims) const {
    if (!file_.has(dataset)) fail(dataset, "missing");
    const std::string got = file_.dtype(dataset);
    if (got != dtype) fail(dataset, "expected " + dtype + ", got " + got);
    const std::vector<int64_t> shape = file_.shape(dataset);
    if (static_cast<int64_t>(shape.size()) != dims)
      fail(dataset, "expected " + std::to_string(dims) + "-D, got shape " + shape_string(shape));
    return file_.read(dataset);
  }

  void expect_shape(const std::string& dataset, const torch::Tensor& t, const std::vector<int64_t>& shape,
                    const std::string& meaning) const {
    if (t.sizes() != c10::IntArrayRef(shape))
      fail(dataset, "expected shape " + shape_string(shape) + meaning + ", got " + shape_string(t.sizes()));
  }

  // Every entry of int64 `ids` in [0, end); names the first offender (row-major).
  void expect_ids_in_range(const std::string& dataset, const torch::Tensor& ids, int64_t end, const std::string& what,
                           const std::function<std::string(int64_t)>& where) const {
    const auto i = first_bad<int64_t>(ids, [end](int64_t id) { return id < 0 || id >= end; });
    if (!i) return;
    fail(dataset, what + " " + std::to_string(ids.data_ptr<int64_t>()[*i]) + where(*i) + " is out of range [0, " +
                      std::to_string(end) + ")");
  }

  // ptr[0] = 0, non-decreasing, ptr[last] = end. G is small, so one loop over the data suffices.
  void expect_offsets(const std::string& dataset, const torch::Tensor& ptr, int64_t end,
                      const std::string& what) const {
    const auto p = ptr.accessor<int64_t, 1>();
    if (p[0] != 0) fail(dataset, "expected first entry 0, got " + std::to_string(p[0]));
    for (int64_t i = 1; i < ptr.size(0); ++i)
      if (p[i] < p[i - 1])
        fail(dataset, "expected non-decreasing entries, got " + std::to_string(p[i - 1]) + " then " +
                          std::to_string(p[i]) + " at entries " + std::to_string(i - 1) + " and " + std::to_string(i));
    const int64_t last = p[ptr.size(0) - 1];
    if (last != end)
      fail(dataset,
           "expected last entry " + std::to_string(end) + " (the number of " + what + "), got " + std::to_string(last));
  }

 private:
  const H5File& file_;
};

void read_root_attributes(const Checker& check, GraphDataset& d) {
  const std::string format = check.string_attribute("/", "format");
  if (format != "gat-graphs") check.fail("/", "attribute format: expected 'gat-graphs', got " + quoted(format));
  const int64_t version = check.int_attribute("/", "version");
  if (version != 1) check.fail("/", "attribute version: expected 1, got " + std::to_string(version));
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
}

void read_features(const Checker& check, GraphDataset& d) {
  d.features = check.read("/features", "float32", 2);
  if (d.features.size(0) < 1 || d.features.size(1) < 1)
    check.fail("/features",
               "expected at least one node and one feature, got shape " + shape_string(d.features.sizes()));
  const auto i = first_bad<float>(d.features, [](float x) { return !std::isfinite(x); });
  if (!i) return;
  std::ostringstream value;  // prints nan, inf or -inf
  value << d.features.data_ptr<float>()[*i];
  const int64_t f = d.num_features();
  check.fail("/features", "expected finite values, got " + value.str() + " at row " + std::to_string(*i / f) +
                              ", column " + std::to_string(*i % f));
}

void read_labels(const Checker& check, GraphDataset& d) {
  const int64_t n = d.num_nodes();
  if (d.task == Task::kMulticlass) {
    d.labels = check.read("/labels", "int64", 1);
    check.expect_shape("/labels", d.labels, {n}, " (one class per node)");
    check.expect_ids_in_range("/labels", d.labels, d.num_classes, "class",
                              [](int64_t i) { return " of node " + std::to_string(i); });
    return;
  }
  d.labels = check.read("/labels", "uint8", 2);
  check.expect_shape("/labels", d.labels, {n, d.num_classes}, " (nodes x num_classes)");
  const auto i = first_bad<uint8_t>(d.labels, [](uint8_t label) { return label > 1; });
  if (!i) return;
  check.fail("/labels", "expected 0 or 1, got " + std::to_string(d.labels.data_ptr<uint8_t>()[*i]) + " at node " +
                            std::to_string(*i / d.num_classes) + ", label " + std::to_string(*i % d.num_classes));
}

void read_edges(const Checker& check, GraphDataset& d) {
  d.edge_index = check.read("/edge_index", "int64", 2);
  if (d.edge_index.size(0) != 2)
    check.fail("/edge_index", "expected shape [2, E], got " + shape_string(d.edge_index.sizes()));
  const int64_t e = d.num_edges();
  check.expect_ids_in_range("/edge_index", d.edge_index, d.num_nodes(), "node id",
                            [e](int64_t i) { return " in column " + std::to_string(i % e); });

  d.graph_ptr = check.read("/graph_ptr", "int64", 1);
  if (d.graph_ptr.size(0) < 2)
    check.fail("/graph_ptr", "expected shape [G + 1] with G >= 1, got " + shape_string(d.graph_ptr.sizes()));
  check.expect_offsets("/graph_ptr", d.graph_ptr, d.num_nodes(), "nodes");
  const int64_t g = d.num_graphs();
  d.edge_ptr = check.read("/edge_ptr", "int64", 1);
  check.expect_shape("/edge_ptr", d.edge_ptr, {g + 1}, " (like /graph_ptr)");
  check.expect_offsets("/edge_ptr", d.edge_ptr, e, "edges");

  // No edge crosses graphs: each graph's edge columns against its node range [lo, hi). Sources
  // first, then targets, so that the offender named is the one the Python validator names.
  const auto node_ptr = d.graph_ptr.accessor<int64_t, 1>();
  const auto edge_ptr = d.edge_ptr.accessor<int64_t, 1>();
  for (int64_t row = 0; row < 2; ++row) {
    const int64_t* ids = d.edge_index.data_ptr<int64_t>() + row * e;
    for (int64_t graph = 0; graph < g; ++graph) {
      const int64_t lo = node_ptr[graph], hi = node_ptr[graph + 1];
      for (int64_t col = edge_ptr[graph]; col < edge_ptr[graph + 1]; ++col)
        if (ids[col] < lo || ids[col] >= hi)
          check.fail("/edge_index", "node id " + std::to_string(ids[col]) + " in column " + std::to_string(col) +
                                        " lies outside graph " + std::to_string(graph) + "'s node range [" +
                                        std::to_string(lo) + ", " + std::to_string(hi) + ")");
    }
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

GraphDataset load_graph_dataset(const std::string& path) {
  const H5File file(path, H5File::Mode::kRead);
  const Checker check(file);
  GraphDataset d;
  d.path = path;
  // In dependency order: the attributes say how to read labels, features give N, edges give E.
  read_root_attributes(check, d);
  read_features(check, d);
  read_labels(check, d);
  read_edges(check, d);
  read_splits(file, check, d);
  return d;
}

const Split& split_named(const GraphDataset& dataset, const std::string& name) {
  if (name == "train") return dataset.train;
  if (name == "val") return dataset.val;
  if (name == "test") return dataset.test;
  throw Error("split: expected train, val or test, got \"" + name + "\"");
}

GraphDataset without_edges(GraphDataset dataset) {
  dataset.edge_index = dataset.edge_index.new_empty({2, 0});
  dataset.edge_ptr = torch::zeros_like(dataset.edge_ptr);
  return dataset;
}

}  // namespace gat::data
