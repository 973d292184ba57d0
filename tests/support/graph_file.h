// Test helper: a small valid gat-graphs file as editable parts, written with the project's writer.
#pragma once

#include <torch/torch.h>

#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace gat::testing {

// Datasets and attributes of one file. Defaults: two graphs (nodes 0-2 and 3-4), 2 features,
// 3 classes, both edge directions, graph-level splits train {0}, val {1}, test {1}.
// Erase or change any entry to build a malformed file.
struct GraphFileSpec {
  GraphFileSpec();
  std::map<std::string, std::variant<std::string, int64_t>> root_attributes;
  std::map<std::string, torch::Tensor> datasets;                                   // "/features", "/splits/train", ...
  std::map<std::string, std::optional<std::string>> split_levels;                  // by dataset; nullopt = no attribute
  std::map<std::string, std::variant<std::string, int64_t>> partition_attributes;  // on /partition, if any

  // Node-level splits train {0, 3}, val {1}, test {2, 4}.
  GraphFileSpec& node_splits();
  // Multilabel labels: uint8 [5, 3].
  GraphFileSpec& multilabel();
  // Version 2 (node splits, one graph, edges sorted by target): clusters {rows 0-2, rows 3-4},
  // holding the source file's nodes {2, 0, 1} and {4, 3}.
  GraphFileSpec& partitioned();
};

void write_graph_file(const std::string& path, const GraphFileSpec& spec);

// The names in a directory (no "." or ".."), sorted; empty if it cannot be read.
// Tests list and remove directories with POSIX calls, not std::filesystem's iterators: PyTorch
// wheels export a statically linked copy of those (pytorch/pytorch#133437), and in a binary
// linked with one, libstdc++'s remove_all crashed (seen with PyTorch 2.11).
std::vector<std::string> list_dir(const std::string& path);

// A directory under the system temp directory, removed with everything in it at destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace gat::testing
