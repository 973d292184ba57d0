// The rules of docs/data_format.md as checks on whole datasets or on one graph's slice of them, so
// that a file read whole (graph_dataset.cpp) and one read graph by graph (graph_stream.cpp) are held
// to the same rules with the same messages. Internal to src/data.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "data/graph_dataset.h"
#include "data/h5_file.h"

namespace gat::data {

std::string shape_string(c10::IntArrayRef shape);

// A string from the file, quoted for a message: escaped so that the message stays one line, and
// cut short so that a huge attribute cannot flood the terminal.
std::string quoted(const std::string& value);

// Validation failures all read "<file>: <object>: <message>".
class Checker {
 public:
  explicit Checker(const H5File& file) : file_(file) {}

  [[noreturn]] void fail(const std::string& object, const std::string& message) const;
  std::string string_attribute(const std::string& object, const std::string& name) const;
  int64_t int_attribute(const std::string& object, const std::string& name) const;
  // The dataset's existence, element type and number of dimensions; its shape.
  std::vector<int64_t> expect_type(const std::string& dataset, const std::string& dtype, int64_t dims) const;
  // The dataset, checked by expect_type before it is read whole.
  torch::Tensor read(const std::string& dataset, const std::string& dtype, int64_t dims) const;
  void expect_shape(const std::string& dataset, c10::IntArrayRef got, const std::vector<int64_t>& shape,
                    const std::string& meaning) const;
  // Every entry of int64 `ids` in [0, end); names the first offender (row-major).
  void expect_ids_in_range(const std::string& dataset, const torch::Tensor& ids, int64_t end, const std::string& what,
                           const std::function<std::string(int64_t)>& where) const;
  // ptr[0] = 0, non-decreasing, ptr[last] = end.
  void expect_offsets(const std::string& dataset, const torch::Tensor& ptr, int64_t end, const std::string& what) const;

 private:
  const H5File& file_;
};

// Rows of /features from row `first_row` on: every value finite.
void check_features(const Checker& check, const torch::Tensor& rows, int64_t first_row);
// Rows of /labels from node `first_row` on: classes in [0, num_classes), or 0/1 flags.
void check_labels(const Checker& check, Task task, int64_t num_classes, const torch::Tensor& rows, int64_t first_row);
// Edge columns [first_col, first_col + e) of /edge_index, int64 [2, e]: every id in [0, num_nodes).
void check_node_ids(const Checker& check, const torch::Tensor& edges, int64_t first_col, int64_t num_nodes);
// Row `row` of /edge_index (0 sources, 1 targets), columns [first_col, first_col + count) at
// `ids`, all of graph `graph`: each id inside the graph's node range [lo, hi).
void check_edges_in_graph(const Checker& check, const int64_t* ids, int64_t first_col, int64_t count, int64_t graph,
                          int64_t lo, int64_t hi);

}  // namespace gat::data
