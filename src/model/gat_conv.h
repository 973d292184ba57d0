// One graph attention layer (GATConv).
#pragma once

#include <torch/torch.h>

#include "common/dropout_key.h"
#include "common/edge_plan.h"
#include "model/gat_conv_options.h"
#include "ops/epilogue.h"

namespace gat::model {

// Graph attention layer of Velickovic et al., "Graph Attention Networks", ICLR 2018.
// For each head k, with W^k = lin's rows for head k and a^k = [a_dst^k || a_src^k]:
//   e_ij^k     = LeakyReLU(a_src^k . W^k h_j + a_dst^k . W^k h_i)      for each edge j -> i
//   alpha_ij^k = softmax over i's incoming edges j of e_ij^k
//   h'_i       = ||_k sum_j alpha_ij^k W^k h_j   (concat)   or   1/K sum_k ...   (average)
// plus bias and, with residual, the (projected) input; then ELU where options.elu (GAT sets it on
// hidden layers that are not normalised).
// Input x [N, in_channels] (dense, or sparse COO for sparse input features), edge_index int64
// [2, E] (row 0 source, row 1 target). Output [N, heads * out_channels] or [N, out_channels].
//
//   GATConv conv(GATConvOptions(1433, 8).heads(8).input_dropout(0.6).dropout(0.6));
//   torch::Tensor h = conv(x, edge_index);  // [N, 64]
class GATConvImpl : public torch::nn::Cloneable<GATConvImpl> {
 public:
  explicit GATConvImpl(const GATConvOptions& options);
  GATConvImpl(int64_t in_channels, int64_t out_channels) : GATConvImpl(GATConvOptions(in_channels, out_channels)) {}

  void reset() override;
  void reset_parameters();
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& edge_index);
  // forward() over a plan made with this layer's add_self_loops (GAT builds one for all layers).
  // A separate name: ModuleHolder's operator() needs forward() to have one signature. Training
  // draws its dropout masks by `key` (ops/dropout.h); without one, by a key drawn from torch's
  // generator. With `attention`, also stores there alpha of every plan edge column, [E, heads]
  // (eq. 3), for gat_explain: as computed in this forward, so only without dropout is it what was
  // applied.
  torch::Tensor forward_planned(const torch::Tensor& x, const EdgePlan& plan, const DropoutKey* key = nullptr,
                                torch::Tensor* attention = nullptr);

  // Evaluation in parts, for a graph whose per-edge tensors would not fit at once: project() the
  // whole layer input once, then attend() for each part of the targets. No dropout (eval mode).
  struct Projected {
    torch::Tensor projected;  // Wh, [N, H * F]
    torch::Tensor scores;     // [N, H, 2]: each node's score as a source, then as a target
    torch::Tensor residual;   // x W_res^T, [N, C], where the layer has res and x is dense; else undefined
  };
  Projected project(const torch::Tensor& x) const;
  // Output rows first .. first + count of the layer, x dense: `nodes` (int64) are the rows of x that
  // `plan` numbers 0.., the targets first .. first + count first and then the other sources of
  // their edges; `plan` holds the targets' incoming edges.
  torch::Tensor attend(const Projected& p, const torch::Tensor& x, int64_t first, int64_t count,
                       const torch::Tensor& nodes, const EdgePlan& plan) const;

  // Width of forward()'s output.
  int64_t output_channels() const;

  GATConvOptions options;
  torch::nn::Linear lin{nullptr};  // W for all heads: in_channels -> heads * out_channels, no bias
  torch::Tensor att_src;           // [1, heads, out_channels]
  torch::Tensor att_dst;           // [1, heads, out_channels]
  torch::Tensor bias;              // [output_channels()] or undefined
  torch::nn::Linear res{nullptr};  // residual projection where sizes differ, else null

 private:
  // The residual of the input rows `input`, the bias and ELU, as options say; the residual is
  // `residual` where given (Projected::residual of those rows).
  ops::Epilogue epilogue(const torch::Tensor& input, const torch::Tensor& residual) const;
  // Whether the epilogue can go to the attention: not where heads are averaged first.
  bool attention_finishes() const;
  // The heads averaged (output layer) and then the epilogue of the input rows `input`, done on the
  // attention's output `out` [n, H * F] of those rows.
  torch::Tensor finish(torch::Tensor out, const torch::Tensor& input, const torch::Tensor& residual) const;
};
TORCH_MODULE(GATConv);

}  // namespace gat::model
