// Graph ids turned into what the model runs on: a rank's share of a step's graphs, the features and
// labels cut out for it, its edges laid out as a plan, and the counts the loss and progress need.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "common/choices.h"
#include "common/device.h"
#include "common/dropout_key.h"
#include "common/edge_plan.h"
#include "data/graph_dataset.h"
#include "data/graph_stream.h"

namespace gat::data {

// What the model runs on and is scored against; on the source's device.
struct Batch {
  torch::Tensor x;                  // [n, F] features of the batch's nodes (dense, or sparse COO)
  EdgePlan plan;                    // the batch's edges, nodes numbered 0..n-1
  torch::Tensor labels;             // of the scored nodes: int64 [k] or uint8 [k, C]
  torch::Tensor scored;             // int64 [k]: which of the n nodes the loss and metrics use; undefined: all
  std::vector<GraphExtent> graphs;  // which graphs the rows and edge columns are, for dropout's keys

  // The rows of `per_node` (one per node of the batch) that belong to scored nodes.
  torch::Tensor scored_rows(const torch::Tensor& per_node) const {
    return scored.defined() ? per_node.index_select(0, scored) : per_node;
  }
};

// One training step: this rank's batch, and counts over the global batch that every rank shares.
struct StepBatch {
  std::optional<Batch> mine;  // none where this rank's share of the step's graphs is empty
  int64_t nodes = 0;          // the global batch's scored nodes: the loss's denominator
  int64_t graphs = 0;         // the global batch's graphs...
  int64_t edges = 0;          // ...and their stored edges
};

struct BatchSourceOptions {
  bool normalize_features = false;         // scale each feature row to sum 1 (data.normalize_features)
  bool add_self_loops = true;              // the plans' (model.add_self_loops)
  int64_t eval_graphs = 1;                 // graphs per evaluation batch (train.batch_graphs)
  int64_t cache_bytes = int64_t{1} << 30;  // streamed graphs kept (data.cache_mb)
  int64_t rank = 0;                        // this rank, of `ranks` that share each graph-level step
  int64_t ranks = 1;
  Shares shares = Shares::kBalanced;  // how a step's graphs go to the ranks (dist.shares)
  int64_t clusters_per_batch = 0;     // > 0: train a partitioned graph on groups of this many clusters
};

// Node-level data (splits of node ids) is one batch of every graph, made once, that scores a
// split's nodes; every rank holds it whole. Graph-level data comes in batches of whole graphs,
// renumbered so that their nodes are 0..n-1, of which each rank cuts its share. A graph's plan is
// made the first time it is used and kept; a batch's plan is joined from its graphs'.
// A partitioned graph trained on clusters (Cluster-GCN, Chiang et al. 2019) steps like graph-level
// data whose graphs are groups of clusters: each group is the subgraph its clusters induce, the
// edges between them kept, and scores its training nodes; evaluation is node-level.
class BatchSource {
 public:
  // The batches live on `device`; the dataset stays on the CPU. For graph-level data its features
  // and labels go to the device once, so that each batch is cut there: on a GPU, cutting it on the
  // host and copying it over left the device idle 0.4 ms a step.
  BatchSource(const GraphDataset& dataset, const BatchSourceOptions& options, const torch::Device& device);

  const GraphDataset& dataset() const { return dataset_; }
  bool node_level() const { return dataset_.train.level == SplitLevel::kNode; }
  bool clustered() const { return options_.clusters_per_batch > 0; }

  // A training step on the global batch `graphs` (graph-level: this rank takes its share, by
  // data/graph_shares.h), or on the train nodes (node-level: `graphs` is ignored). Clustered,
  // `graphs` are cluster ids: each q of them in turn (q = clusters_per_batch) make one group,
  // and this rank takes its share of the groups.
  StepBatch step(const std::vector<int64_t>& graphs);

  // Calls `score` on each of this rank's batches of `split`: node-level, the one batch scoring the
  // split's nodes; graph-level, this rank's share of the split's graphs, eval_graphs at a time.
  // Not for a clustered graph, which has no whole-graph batch (for_each_target_part instead).
  void for_each_batch(const Split& split, const std::function<void(const Batch&)>& score);

  // Clustered data, for evaluation layer by layer in bounded memory: the whole graph's nodes in
  // consecutive parts of about `edges` incoming edges each, of which this rank takes parts k with
  // k % ranks == rank. Part [first, first + count) comes with `nodes`, those rows and then the
  // other sources of their edges, and the plan of their incoming edges over `nodes` (on the
  // device). `input()` is the first layer's input, dense, every row.
  struct TargetPart {
    int64_t first = 0, count = 0;
    torch::Tensor nodes;
    EdgePlan plan;
  };
  void for_each_target_part(int64_t edges, int64_t rank, int64_t ranks,
                            const std::function<void(const TargetPart&)>& use);
  torch::Tensor input() const { return to_device(features_, device_); }

  // Graphs `graphs` (at least one) in that order, every node scored, with dense features, at either
  // level.
  Batch graphs_batch(const std::vector<int64_t>& graphs);

  // A streamed dataset: starts reading this rank's share of the step `graphs` in the background,
  // to be ready when step(graphs) asks for it. Nothing to do for a dataset in memory.
  void prefetch(const std::vector<int64_t>& graphs);

 private:
  std::vector<int64_t> rank_share(const std::vector<int64_t>& graphs) const;
  // Graph g's plan (data in memory): made the first time it is asked for, then kept.
  const EdgePlan& plan_of(int64_t g);
  void index_clusters();
  StepBatch cluster_step(const std::vector<int64_t>& clusters);
  // The subgraphs that `groups` of clusters induce, side by side, scoring their training nodes.
  Batch groups_batch(const std::vector<std::vector<int64_t>>& groups);

  const GraphDataset& dataset_;
  BatchSourceOptions options_;
  torch::Device device_;
  torch::Tensor features_;                            // the model's input features; graph-level: on device_
  torch::Tensor labels_;                              // the dataset's labels; graph-level: on device_
  Batch train_nodes_;                                 // node-level: every graph, scoring the train nodes
  std::vector<std::optional<EdgePlan>> graph_plans_;  // by graph id, once used (data in memory)
  std::unique_ptr<GraphStream> stream_;               // the graphs and their plans (data streamed)
  bool sparse_features_ = false;                      // node-level: the model's input is a sparse matrix
  // Clustered: cluster c's incoming edges are columns cluster_edges_[c] .. cluster_edges_[c+1] of
  // the dataset's edge_index (sorted by target); its training nodes; each node's, and a scratch
  // map from the dataset's rows to a group's (-1: not in the group).
  std::vector<int64_t> cluster_edges_, cluster_train_;
  std::vector<uint8_t> is_train_;
  std::vector<int64_t> group_row_;
};

}  // namespace gat::data
