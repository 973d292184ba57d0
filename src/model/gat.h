// The GAT model: a stack of GATConv layers with ELU between them, returning logits.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "model/gat_conv.h"

namespace gat::model {

struct GATOptions {
  GATOptions(int64_t in_channels, int64_t out_channels) : in_channels_(in_channels), out_channels_(out_channels) {}

  /// Input features per node.
  TORCH_ARG(int64_t, in_channels);
  /// Logits per node: classes (multiclass) or labels (multilabel).
  TORCH_ARG(int64_t, out_channels);
  /// Per-head features of each hidden layer; heads are concatenated.
  TORCH_ARG(std::vector<int64_t>, hidden_channels) = std::vector<int64_t>{8};
  /// Heads of each layer (hidden layers, then the output layer, whose heads are averaged).
  TORCH_ARG(std::vector<int64_t>, heads) = std::vector<int64_t>{8, 1};
  /// What normalises each hidden layer's output before its ELU.
  TORCH_ARG(Normalization, norm) = Normalization::kNone;
  /// What every layer shares: slope, dropouts, self loops, bias, residual and attention. Each
  /// layer's in_channels, out_channels, heads, concat and elu come from the stack's fields above.
  TORCH_ARG(GATConvOptions, conv) = GATConvOptions(0, 0);
};

// x [N, in_channels] -> logits [N, out_channels]. Layer l < L-1 concatenates heads[l] heads of
// hidden_channels[l] features, normalised (norm) and then through ELU; the last layer averages
// heads.back() heads.
class GATImpl : public torch::nn::Cloneable<GATImpl> {
 public:
  explicit GATImpl(const GATOptions& options);
  void reset() override;
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& edge_index);
  // forward() over a plan made with options.conv().add_self_loops. Layer l drops by
  // key->at_layer(l), or without a key by keys drawn from torch's generator. With `attention`, also
  // returns there each layer's alpha over the plan's edge columns, [E, heads[l]]
  // (GATConv::forward_planned).
  torch::Tensor forward_planned(const torch::Tensor& x, const EdgePlan& plan, const DropoutKey* key = nullptr,
                                std::vector<torch::Tensor>* attention = nullptr);

  // What follows hidden layer l < L-1 on its output h outside the layer: with a normalisation, it
  // and then ELU; without one nothing, as the layer did its ELU (GATConvOptions::elu). May reuse h.
  torch::Tensor activate(std::size_t l, torch::Tensor h);

  // Layer l, typed.
  GATConv conv(std::size_t l) const { return GATConv(layers->ptr<GATConvImpl>(l)); }

  GATOptions options;
  torch::nn::ModuleList layers{nullptr};  // GATConv each; parameters named layers.<l>.<name>
  // With norm kLayer, a LayerNorm per hidden layer (norms.<l>.weight, .bias); else none registered.
  torch::nn::ModuleList norms{nullptr};
};
TORCH_MODULE(GAT);

}  // namespace gat::model
