// A dataset of one graph (transductive) or many (inductive), as read from a gat-graphs HDF5 file.
#pragma once

#include <torch/torch.h>

#include <optional>
#include <string>
#include <vector>

namespace gat::data {

enum class Task { kMulticlass, kMultilabel };
enum class SplitLevel { kGraph, kNode };

const char* to_string(Task task);
const char* to_string(SplitLevel level);

// One of /splits/{train,val,test}: graph ids (level kGraph) or node ids (level kNode), int64 [K].
struct Split {
  SplitLevel level = SplitLevel::kNode;
  torch::Tensor ids;
};

// The sizes of the datasets a streamed GraphDataset leaves in the file.
struct StreamedShape {
  int64_t nodes = 0;
  int64_t features = 0;
  int64_t edges = 0;
};

// A version-2 file's clusters (docs/data_format.md, version 2): cluster c owns rows
// cluster_ptr[c] .. cluster_ptr[c+1], and the row order is the source file's order permuted.
struct Partition {
  torch::Tensor cluster_ptr;  // int64 [K + 1]
  torch::Tensor node_perm;    // int64 [N]: the source file's id of each row's node
  torch::Tensor cluster;      // int64 [N]: each node's cluster, by its source file id
  std::string method;         // "metis" or "random"
  int64_t seed = 0;

  int64_t num_clusters() const { return cluster_ptr.size(0) - 1; }
};

// Everything in the file, validated (docs/data_format.md lists the rules). All tensors are CPU.
struct GraphDataset {
  std::string path;  // the file it came from, for messages
  Task task = Task::kMulticlass;
  int64_t num_classes = 0;
  torch::Tensor features;    // float32 [N, F], finite
  torch::Tensor labels;      // int64 [N] in [0, num_classes) or uint8 [N, num_classes] of 0/1
  torch::Tensor edge_index;  // int64 [2, E]: row 0 source, row 1 target
  torch::Tensor graph_ptr;   // int64 [G + 1]: graph g owns nodes graph_ptr[g] .. graph_ptr[g+1]
  torch::Tensor edge_ptr;    // int64 [G + 1]: graph g owns edge columns edge_ptr[g] .. edge_ptr[g+1]
  Split train, val, test;
  // data.load: stream: features, labels and edge_index stay in the file, undefined here, and a
  // BatchSource reads each graph when it is used; these are their sizes.
  std::optional<StreamedShape> streamed;
  std::optional<Partition> partition;  // a version-2 file's

  int64_t num_nodes() const { return streamed ? streamed->nodes : features.size(0); }
  int64_t num_features() const { return streamed ? streamed->features : features.size(1); }
  int64_t num_edges() const { return streamed ? streamed->edges : edge_index.size(1); }
  int64_t num_graphs() const { return graph_ptr.size(0) - 1; }
};

// Reads and validates `path`. Throws gat::Error with one line naming the file, the dataset and what
// was expected, e.g. "x.h5: /edge_index: node id 9 in column 3 is out of range [0, 5)". Without
// `values` (data.load: stream), reads the attributes, offsets and splits only and checks every
// rule that needs no graph's values; the rest are checked as each graph is read. Graph-level data
// only.
GraphDataset load_graph_dataset(const std::string& path, bool values = true);

// Feature rows `x` each scaled to sum 1 (rows that sum to 0 stay 0), as the GAT paper does for the
// bag-of-words citation features (data.normalize_features): a whole dataset's or one graph's rows.
torch::Tensor rows_summing_to_one(const torch::Tensor& x);

// The names split_named takes, for the tools' --split checks.
inline const std::vector<std::string> kSplitNames = {"train", "val", "test"};

// dataset.train, .val or .test by that name; any other name is a gat::Error.
const Split& split_named(const GraphDataset& dataset, const std::string& name);

// The same dataset with no edges (edge_ptr all zero): with self loops added by the model, a GAT
// on it is a per-node MLP of the same depth and width, the baseline that shows what edges add.
GraphDataset without_edges(GraphDataset dataset);

}  // namespace gat::data
