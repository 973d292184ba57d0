// The GAT's sizes layer by layer, as GATImpl::reset and GATConvImpl::reset make them, in long
// double so that no product of huge widths overflows.
#include "train/model_memory.h"

#include <algorithm>
#include <vector>

#include "common/error.h"
#include "common/memory_limit.h"
#include "data/graph_ids.h"

namespace gat::train {
namespace {

// The nodes of the largest forward pass: all of them when the splits pick nodes (one pass over
// the whole dataset), else the largest graph (a batch holds at least one).
int64_t largest_pass_nodes(const data::GraphDataset& dataset) {
  if (dataset.train.level == data::SplitLevel::kNode) return dataset.num_nodes();
  int64_t most = 0;
  for (int64_t g = 0; g < dataset.num_graphs(); ++g) most = std::max(most, data::nodes_of(dataset, g));
  return most;
}

// The subject of the message: what makes `layer` large, by its larger factor.
std::string culprit(const config::ModelConfig& m, const data::GraphDataset& dataset, std::size_t layer) {
  const int64_t heads = m.heads[layer];
  const std::string index = "[" + std::to_string(layer) + "]";
  if (layer == m.hidden.size()) {
    if (dataset.num_classes >= heads)
      return dataset.path + ": /: attribute num_classes: expected a model that fits in memory, got " +
             std::to_string(dataset.num_classes) + " classes";
    return "model.heads" + index + ": expected a model that fits in memory, got " + std::to_string(heads) +
           " output heads";
  }
  const int64_t features = m.hidden[layer];
  if (heads >= features)
    return "model.heads" + index + ": expected a model that fits in memory, got " + std::to_string(heads) +
           " heads of " + std::to_string(features) + " features";
  return "model.hidden" + index + ": expected a model that fits in memory, got " + std::to_string(features) +
         " features in each of " + std::to_string(heads) + " heads";
}

}  // namespace

void check_model_fits_memory(const config::ModelConfig& m, const data::GraphDataset& dataset, ModelUse use) {
  constexpr long double kFloatBytes = 4;
  const bool training = use == ModelUse::kTraining;
  const long double copies = training ? 4 : 1;  // weights, gradients, Adam's two moments
  // Each layer's projection Wh, [N, heads, features], lives until backward. Where the attention
  // turns it into the layer's output, a second tensor of that size exists; in backward, where
  // the output's gradient becomes Wh's, a second and a third.
  const long double peak_extra = training ? 2 : 1;
  const int64_t nodes = largest_pass_nodes(dataset);
  long double total = 0, largest = -1, widest = 0;
  std::size_t largest_layer = 0;
  long double in = dataset.num_features();
  for (std::size_t l = 0; l < m.heads.size(); ++l) {
    const bool last = l == m.hidden.size();
    const long double features = last ? dataset.num_classes : m.hidden[l];
    const long double width = m.heads[l] * features;  // the projection's
    const long double out = last ? features : width;
    long double weights = in * width + 2 * width;  // lin, att_src and att_dst
    if (m.bias) weights += out;
    if (m.residual && in != out) weights += in * out;
    long double activations = nodes * width;
    if (m.norm == Normalization::kLayer && !last) {
      weights += 2 * out;          // its scale and shift
      activations += nodes * out;  // its output beside its input, which backward reads
    }
    const long double bytes = kFloatBytes * (copies * weights + activations);
    total += bytes;
    if (bytes > largest) largest = bytes, largest_layer = l;
    widest = std::max(widest, width);
    in = out;
  }
  total += kFloatBytes * peak_extra * nodes * widest;
  const int64_t memory = available_memory_bytes();
  if (total <= memory) return;
  throw Error(culprit(m, dataset, largest_layer) + ": " + (use == ModelUse::kTraining ? "training" : "running") +
              " it on " + std::to_string(nodes) + " nodes needs at least " + human_bytes(static_cast<double>(total)) +
              ", more than the " + human_bytes(static_cast<double>(memory)) + " of memory of this machine");
}

}  // namespace gat::train
