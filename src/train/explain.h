// Per-edge attention coefficients of a trained model, written to HDF5 for inspection
// (gat_explain; data_tools/gat_data.py attention plots them).
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "data/batch_source.h"
#include "model/gat.h"

namespace gat::train {

// The file, "gat-attention" version 1:
//   / attributes format = "gat-attention", version = 1, layers = L, checkpoint, data
//   /graphs/<g>              one group per explained graph, g its id in the dataset; attribute nodes
//   /graphs/<g>/edge_index   int64 [2, E]: source, target ids local to the graph, with the
//                            model's self loops, grouped by target
//   /graphs/<g>/layer_<l>    float32 [E, heads[l]]: alpha (eq. 3) of each edge column and head;
//                            over a target's incoming edges it sums to 1 per head
// The model runs in eval mode (no dropout), each graph alone, as in evaluation.
struct ExplainSource {
  std::string checkpoint;  // where the model came from, recorded in the file
  std::string data;
};

// Writes `path` whole or not at all; `graphs` are ids in [0, num_graphs()) of the batches' dataset,
// else gat::Error.
void write_attention(const std::string& path, model::GAT& model, data::BatchSource& batches,
                     const std::vector<int64_t>& graphs, const ExplainSource& source);

}  // namespace gat::train
