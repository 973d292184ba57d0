// The format's rules, on whole datasets or slices.
#include "data/graph_checks.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <sstream>

#include "common/error.h"

namespace gat::data {
namespace {

// The index of the first entry of contiguous `t` (row-major) for which `bad` holds. One pass
// over the data, stopping at the offender: the checks run on millions of entries, and a loop
// allocates nothing, where a chain of torch comparisons builds a temporary for each step.
template <class T, class Bad>
std::optional<int64_t> first_bad(const torch::Tensor& t, Bad bad) {
  const T* begin = t.data_ptr<T>();
  const T* end = begin + t.numel();
  const T* found = std::find_if(begin, end, bad);
  if (found == end) return std::nullopt;
  return found - begin;
}

}  // namespace

std::string shape_string(c10::IntArrayRef shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

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

void Checker::fail(const std::string& object, const std::string& message) const {
  throw Error(file_.path() + ": " + object + ": " + message);
}

std::string Checker::string_attribute(const std::string& object, const std::string& name) const {
  const auto value = file_.string_attribute(object, name);
  if (!value) fail(object, "attribute " + name + ": missing");
  return *value;
}

int64_t Checker::int_attribute(const std::string& object, const std::string& name) const {
  const auto value = file_.int_attribute(object, name);
  if (!value) fail(object, "attribute " + name + ": missing");
  return *value;
}

std::vector<int64_t> Checker::expect_type(const std::string& dataset, const std::string& dtype, int64_t dims) const {
  if (!file_.has(dataset)) fail(dataset, "missing");
  const std::string got = file_.dtype(dataset);
  if (got != dtype) fail(dataset, "expected " + dtype + ", got " + got);
  const std::vector<int64_t> shape = file_.shape(dataset);
  if (static_cast<int64_t>(shape.size()) != dims)
    fail(dataset, "expected " + std::to_string(dims) + "-D, got shape " + shape_string(shape));
  return shape;
}

torch::Tensor Checker::read(const std::string& dataset, const std::string& dtype, int64_t dims) const {
  expect_type(dataset, dtype, dims);
  return file_.read(dataset);
}

void Checker::expect_shape(const std::string& dataset, c10::IntArrayRef got, const std::vector<int64_t>& shape,
                           const std::string& meaning) const {
  if (got != c10::IntArrayRef(shape))
    fail(dataset, "expected shape " + shape_string(shape) + meaning + ", got " + shape_string(got));
}

void Checker::expect_ids_in_range(const std::string& dataset, const torch::Tensor& ids, int64_t end,
                                  const std::string& what, const std::function<std::string(int64_t)>& where) const {
  const auto i = first_bad<int64_t>(ids, [end](int64_t id) { return id < 0 || id >= end; });
  if (!i) return;
  fail(dataset, what + " " + std::to_string(ids.data_ptr<int64_t>()[*i]) + where(*i) + " is out of range [0, " +
                    std::to_string(end) + ")");
}

void Checker::expect_offsets(const std::string& dataset, const torch::Tensor& ptr, int64_t end,
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

void check_features(const Checker& check, const torch::Tensor& rows, int64_t first_row) {
  const auto i = first_bad<float>(rows, [](float x) { return !std::isfinite(x); });
  if (!i) return;
  std::ostringstream value;  // prints nan, inf or -inf
  value << rows.data_ptr<float>()[*i];
  const int64_t f = rows.size(1);
  check.fail("/features", "expected finite values, got " + value.str() + " at row " +
                              std::to_string(first_row + *i / f) + ", column " + std::to_string(*i % f));
}

void check_labels(const Checker& check, Task task, int64_t num_classes, const torch::Tensor& rows, int64_t first_row) {
  if (task == Task::kMulticlass) {
    check.expect_ids_in_range("/labels", rows, num_classes, "class",
                              [first_row](int64_t i) { return " of node " + std::to_string(first_row + i); });
    return;
  }
  const auto i = first_bad<uint8_t>(rows, [](uint8_t label) { return label > 1; });
  if (!i) return;
  check.fail("/labels", "expected 0 or 1, got " + std::to_string(rows.data_ptr<uint8_t>()[*i]) + " at node " +
                            std::to_string(first_row + *i / num_classes) + ", label " +
                            std::to_string(*i % num_classes));
}

void check_node_ids(const Checker& check, const torch::Tensor& edges, int64_t first_col, int64_t num_nodes) {
  const int64_t e = edges.size(1);
  check.expect_ids_in_range("/edge_index", edges, num_nodes, "node id",
                            [e, first_col](int64_t i) { return " in column " + std::to_string(first_col + i % e); });
}

void check_edges_in_graph(const Checker& check, const int64_t* ids, int64_t first_col, int64_t count, int64_t graph,
                          int64_t lo, int64_t hi) {
  for (int64_t k = 0; k < count; ++k)
    if (ids[k] < lo || ids[k] >= hi)
      check.fail("/edge_index", "node id " + std::to_string(ids[k]) + " in column " + std::to_string(first_col + k) +
                                    " lies outside graph " + std::to_string(graph) + "'s node range [" +
                                    std::to_string(lo) + ", " + std::to_string(hi) + ")");
}

}  // namespace gat::data
