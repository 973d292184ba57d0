// Batches of whole graphs cut from a dataset, renumbered so that their nodes are 0..n-1.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "data/graph_dataset.h"

namespace gat::data {

struct Batch {
  torch::Tensor x;           // [n, F] features of the batch's nodes (dense, or sparse COO)
  torch::Tensor labels;      // labels of the scored nodes: int64 [k] or uint8 [k, C]
  torch::Tensor scored;      // int64 [k]: which of the n nodes the loss and metrics use
  int64_t num_graphs = 0;
};

// The dataset's features as the model sees them: optionally each row scaled to sum 1 (rows that
// sum to 0 stay 0), as the GAT paper does for the bag-of-words citation features.
torch::Tensor model_features(const GraphDataset& dataset, bool normalize_rows);

// Graph g's edges, int64 [2, e], with its nodes numbered from 0, on the CPU where edge plans are
// made. A batch carries no edges: the trainer keeps each graph's plan and joins a batch's.
torch::Tensor graph_edges(const GraphDataset& dataset, int64_t g);

// Graphs `graphs` (ids into the dataset) concatenated in that order, every node scored: rows of
// `features` and `labels` (the dataset's, possibly moved to a device; the batch is cut where they are).
Batch graph_batch(const GraphDataset& dataset, const torch::Tensor& features, const torch::Tensor& labels,
                  const std::vector<int64_t>& graphs);

// Every graph of the dataset, scoring only `nodes` (ids of a node-level split). Features whose
// density is below sparse_below are stored as a sparse COO matrix, which makes the first layer's
// product and input dropout cost O(nonzeros) instead of O(N F).
Batch node_batch(const GraphDataset& dataset, const torch::Tensor& features, const torch::Tensor& nodes,
                 double sparse_below);

// The batch with x, labels and scored on `device`: from pinned host memory without blocking the
// host, for a GPU.
Batch to_device(Batch batch, const torch::Device& device);

}  // namespace gat::data
