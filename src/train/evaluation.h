// Scoring a model on a split, in eval mode and without an optimizer: the trainer's validation and
// test scores, and gat_eval's.
#pragma once

#include "data/batch_source.h"
#include "dist/communicator.h"
#include "model/gat.h"
#include "train/metrics.h"

namespace gat::train {

// Sums over `split`'s scored nodes. Graph-level splits are shared out over the ranks of `comm` as
// `batches` shares them, and the sums all-reduced; a node-level split is scored whole on every rank,
// a graph trained on clusters layer by layer (whole_graph_logits).
EvalSums evaluate_split(model::GAT& model, data::BatchSource& batches, const data::Split& split,
                        dist::Communicator& comm);

// evaluate_split for several splits of one model state, which must not change while it is in use:
// a graph trained on clusters is scored from its whole-graph logits, computed for the first split
// and kept for the others (an epoch's validation score, then the test score of a kept epoch).
class SplitScorer {
 public:
  SplitScorer(model::GAT& model, data::BatchSource& batches, dist::Communicator& comm)
      : model_(model), batches_(batches), comm_(comm) {}
  EvalSums operator()(const data::Split& split);

 private:
  model::GAT& model_;
  data::BatchSource& batches_;
  dist::Communicator& comm_;
  torch::Tensor logits_;  // clustered: every node's, once computed
};

// The logits of every node of a graph trained on clusters, in memory that per-edge tensors do not
// grow past a part of kPartEdges edges: layer by layer, each layer's input projected whole
// (N x heads x features) and its attention taken over the targets part by part, the parts shared
// out over the ranks of `comm` and each layer's rows then summed over them (exactly: every row is
// one rank's, zeros elsewhere), so the logits are the same on any number of ranks.
constexpr int64_t kPartEdges = int64_t{1} << 22;
torch::Tensor whole_graph_logits(model::GAT& model, data::BatchSource& batches, dist::Communicator& comm,
                                 int64_t part_edges = kPartEdges);

}  // namespace gat::train
