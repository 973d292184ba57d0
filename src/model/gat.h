// The GAT model: a stack of GATConv layers with ELU between them, returning logits.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "config/config.h"
#include "model/gat_conv.h"

namespace gat::model {

struct GATOptions {
  GATOptions(int64_t in_channels, int64_t out_channels)
      : in_channels_(in_channels), out_channels_(out_channels) {}

  /// Input features per node.
  TORCH_ARG(int64_t, in_channels);
  /// Logits per node: classes (multiclass) or labels (multilabel).
  TORCH_ARG(int64_t, out_channels);
  /// Per-head features of each hidden layer; heads are concatenated.
  TORCH_ARG(std::vector<int64_t>, hidden_channels) = std::vector<int64_t>{8};
  /// Heads of each layer (hidden layers, then the output layer, whose heads are averaged).
  TORCH_ARG(std::vector<int64_t>, heads) = std::vector<int64_t>{8, 1};
  TORCH_ARG(double, negative_slope) = 0.2;
  TORCH_ARG(double, input_dropout) = 0.0;
  TORCH_ARG(double, dropout) = 0.0;
  TORCH_ARG(bool, add_self_loops) = true;
  TORCH_ARG(bool, bias) = true;
  /// Skip connection around every layer.
  TORCH_ARG(bool, residual) = false;
  TORCH_ARG(ops::AttentionImpl, attention) = ops::AttentionImpl::kFused;
};

// The options a config's model section describes, for data with these input and output widths.
GATOptions gat_options_from_config(const config::ModelConfig& model, int64_t in_channels, int64_t out_channels);

// x [N, in_channels] -> logits [N, out_channels]. Layer l < L-1 concatenates heads[l] heads of
// hidden_channels[l] features and applies ELU; the last layer averages heads.back() heads.
class GATImpl : public torch::nn::Cloneable<GATImpl> {
 public:
  explicit GATImpl(const GATOptions& options);
  void reset() override;
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& edge_index);
  // forward() over a plan made with options.add_self_loops. With `attention`, also returns there
  // each layer's alpha over the plan's edge columns, [E, heads[l]] (GATConv::forward_planned).
  torch::Tensor forward_planned(const torch::Tensor& x, const ops::EdgePlan& plan,
                                std::vector<torch::Tensor>* attention = nullptr);

  GATOptions options;
  torch::nn::ModuleList layers{nullptr};  // parameters named layers.<l>.<name>
  std::vector<GATConv> convs;             // the same layers, typed
};
TORCH_MODULE(GAT);

}  // namespace gat::model
