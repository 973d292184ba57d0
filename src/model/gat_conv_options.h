// Options of one GAT layer, named as in PyTorch Geometric's GATConv.
#pragma once

#include <torch/torch.h>

#include "common/choices.h"

namespace gat::model {

struct GATConvOptions {
  GATConvOptions(int64_t in_channels, int64_t out_channels) : in_channels_(in_channels), out_channels_(out_channels) {}

  /// Features of each input node.
  TORCH_ARG(int64_t, in_channels);
  /// Features each head produces.
  TORCH_ARG(int64_t, out_channels);
  /// Independent attention heads.
  TORCH_ARG(int64_t, heads) = 1;
  /// Concatenate the heads' outputs (heads * out_channels features) or average them (out_channels).
  TORCH_ARG(bool, concat) = true;
  /// Slope of the LeakyReLU applied to attention scores.
  TORCH_ARG(double, negative_slope) = 0.2;
  /// Dropout on the layer's input features (the paper's dropout on each layer's input).
  TORCH_ARG(double, input_dropout) = 0.0;
  /// Dropout on the normalised attention coefficients.
  TORCH_ARG(double, dropout) = 0.0;
  /// Dropout on the projected features W·h that the attention sums (the messages), after the
  /// attention scores are formed from them undropped, as the paper's TensorFlow code does.
  TORCH_ARG(double, projected_dropout) = 0.0;
  /// Replace any self loops in the edge list with exactly one per node.
  TORCH_ARG(bool, add_self_loops) = true;
  /// Learn an additive bias on the output.
  TORCH_ARG(bool, bias) = true;
  /// Add the input to the output: identity where sizes match, else a bias-free linear map.
  TORCH_ARG(bool, residual) = false;
  /// ELU on the output, the nonlinearity GAT puts between layers: part of the layer so that the
  /// fused attention applies it in its output writes (ops/epilogue.h).
  TORCH_ARG(bool, elu) = false;
  /// Which attention implementation computes the layer.
  TORCH_ARG(AttentionImpl, attention) = AttentionImpl::kFused;
  /// What the products of dense inputs with the layer's weights round their operands to
  /// (ops::times_weight): the projection, the scores' and the residual's.
  TORCH_ARG(Precision, precision) = Precision::kFp32;
};

}  // namespace gat::model
