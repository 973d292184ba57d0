// Graph ids turned into what the model runs on: a rank's share of a step's graphs, the features and
// labels cut out for it, its edges laid out as a plan, and the counts the loss and progress need.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "common/choices.h"
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
};

// Node-level data (splits of node ids) is one batch of every graph, made once, that scores a
// split's nodes; every rank holds it whole. Graph-level data comes in batches of whole graphs,
// renumbered so that their nodes are 0..n-1, of which each rank cuts its share. A graph's plan is
// made the first time it is used and kept; a batch's plan is joined from its graphs'.
class BatchSource {
 public:
  // The batches live on `device`; the dataset stays on the CPU. For graph-level data its features
  // and labels go to the device once, so that each batch is cut there: on a GPU, cutting it on the
  // host and copying it over left the device idle 0.4 ms a step.
  BatchSource(const GraphDataset& dataset, const BatchSourceOptions& options, const torch::Device& device);

  const GraphDataset& dataset() const { return dataset_; }
  bool node_level() const { return dataset_.train.level == SplitLevel::kNode; }

  // A training step on the global batch `graphs` (graph-level: this rank takes its share, by
  // data/graph_shares.h), or on the train nodes (node-level: `graphs` is ignored).
  StepBatch step(const std::vector<int64_t>& graphs);

  // Calls `score` on each of this rank's batches of `split`: node-level, the one batch scoring the
  // split's nodes; graph-level, this rank's share of the split's graphs, eval_graphs at a time.
  void for_each_batch(const Split& split, const std::function<void(const Batch&)>& score);

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

  const GraphDataset& dataset_;
  BatchSourceOptions options_;
  torch::Device device_;
  torch::Tensor features_;                            // the model's input features; graph-level: on device_
  torch::Tensor labels_;                              // the dataset's labels; graph-level: on device_
  Batch train_nodes_;                                 // node-level: every graph, scoring the train nodes
  std::vector<std::optional<EdgePlan>> graph_plans_;  // by graph id, once used (data in memory)
  std::unique_ptr<GraphStream> stream_;               // the graphs and their plans (data streamed)
};

}  // namespace gat::data
