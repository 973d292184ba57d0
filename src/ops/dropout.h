// Inverted dropout with masks keyed by what they drop (common/dropout_key.h): the one dropout every
// layer and attention form uses.
#pragma once

#include <torch/torch.h>

#include "common/dropout_key.h"

namespace gat::ops {

// Where in a layer dropout acts, which fixes what a mask's rows are.
enum class DropoutSite : int64_t {
  kInput = 0,      // the layer's input features: a row per node
  kAttention = 1,  // its attention coefficients alpha: a row per plan edge column
  kProjected = 2,  // its projected features W·h, after the attention scores are formed: a row per node
};

// The multiplier of inverted dropout, [rows, width] with rows the key's graphs' nodes or edges
// (by `site`): each element 1/(1-p), or 0 with probability p. Element (r, c) of graph g, r counted
// within g, is drawn from Philox4x32-10 (at::Philox4_32) with key `seed`, subsequence (epoch,
// g, layer, site) and element index r * width + c. Made on the CPU, then moved to options' device.
torch::Tensor dropout_mask(const DropoutKey& key, DropoutSite site, int64_t width, double p,
                           const torch::TensorOptions& options);

// x * mask when training and p > 0, else x itself. x is [rows, width], dense or sparse COO (a
// sparse x keeps its pattern and draws only its stored elements, each as the dense x would).
torch::Tensor dropout(const torch::Tensor& x, const DropoutKey& key, DropoutSite site, double p, bool training);

// A one-graph key (graph 0) whose seed is drawn from torch's default CPU generator: for a layer
// run on its own, where each forward should draw new masks, reproducibly under torch::manual_seed.
DropoutKey drawn_key(int64_t nodes, int64_t edges);

}  // namespace gat::ops
