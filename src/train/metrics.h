// Loss and metrics as sums that add up across batches and ranks, turned into numbers at the end.
#pragma once

#include <torch/torch.h>

#include "data/graph_dataset.h"

namespace gat::train {

// Loss summed over nodes (multilabel: each node's mean over labels) plus the counts behind accuracy
// (multiclass) or micro-F1 (multilabel). Kept as float64 sums so that adding the sums of batches or
// ranks gives the same numbers as scoring everything at once.
struct EvalSums {
  double loss = 0;                // sum over scored nodes of the per-node loss
  double nodes = 0;               // scored nodes
  double correct = 0;             // multiclass: nodes whose argmax is the label
  double tp = 0, fp = 0, fn = 0;  // multilabel: over all nodes and labels, predicted = logit > 0

  EvalSums& operator+=(const EvalSums& o);
  torch::Tensor to_tensor() const;  // float64 [6], for all-reduce
  static EvalSums from_tensor(const torch::Tensor& t);

  double mean_loss() const { return nodes > 0 ? loss / nodes : 0; }
  double accuracy() const { return nodes > 0 ? correct / nodes : 0; }
  // 2TP / (2TP + FP + FN); 0 when there is nothing to predict and nothing predicted.
  double micro_f1() const { return tp + fp + fn > 0 ? 2 * tp / (2 * tp + fp + fn) : 0; }
  // The task's metric: accuracy (multiclass) or micro-F1 (multilabel).
  double metric(data::Task task) const { return task == data::Task::kMulticlass ? accuracy() : micro_f1(); }
};

const char* metric_name(data::Task task);

// Per-node loss of `logits` [K, C] against `labels` (int64 [K] or uint8 [K, C]): cross-entropy
// (multiclass) or binary cross-entropy with logits averaged over labels (multilabel). [K].
torch::Tensor node_losses(data::Task task, const torch::Tensor& logits, const torch::Tensor& labels);

// Sums for these nodes' logits (no gradient is kept).
EvalSums evaluate(data::Task task, const torch::Tensor& logits, const torch::Tensor& labels);

}  // namespace gat::train
