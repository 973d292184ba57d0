// Sparse and dense GAT attention built from LibTorch ops; autograd supplies the backward.
#include "ops/attention.h"

#include "ops/dropout.h"
#include "ops/fused_attention.h"

namespace gat::ops {

torch::Tensor attention_coefficients_sparse(const torch::Tensor& score_src, const torch::Tensor& score_dst,
                                            const torch::Tensor& edge_index, double negative_slope) {
  const int64_t n = score_src.size(0);
  const torch::Tensor src = edge_index[0];
  const torch::Tensor dst = edge_index[1];
  const torch::Tensor e = torch::leaky_relu(score_src.index_select(0, src) + score_dst.index_select(0, dst),
                                            negative_slope);  // [E, H]
  // Subtracting each target's max keeps exp() finite. The shift cancels in the ratio, so it is
  // detached: its gradient is zero in exact arithmetic and only adds rounding noise.
  const torch::Tensor max = torch::zeros({n, e.size(1)}, e.options())
                                .scatter_reduce(0, dst.unsqueeze(1).expand_as(e), e.detach(), "amax",
                                                /*include_self=*/false);
  const torch::Tensor w = torch::exp(e - max.index_select(0, dst));
  // Every target with an edge has a term exp(0) = 1 in its sum, so the division is safe.
  const torch::Tensor sum = torch::zeros({n, e.size(1)}, e.options()).index_add(0, dst, w);
  return w / sum.index_select(0, dst);
}

torch::Tensor attention_coefficients_dense(const torch::Tensor& score_src, const torch::Tensor& score_dst,
                                           const torch::Tensor& edge_index, double negative_slope) {
  const int64_t n = score_src.size(0);
  torch::Tensor mask = torch::zeros({n, n}, score_src.options().dtype(torch::kBool));
  mask.index_put_({edge_index[1], edge_index[0]}, true);  // [target, source]
  // e[h, i, j] = LeakyReLU(score_dst[i, h] + score_src[j, h])
  const torch::Tensor e = torch::leaky_relu(score_dst.t().unsqueeze(2) + score_src.t().unsqueeze(1), negative_slope);
  const torch::Tensor masked = e.detach().masked_fill(mask.logical_not(), -INFINITY);
  torch::Tensor max = std::get<0>(masked.max(2, /*keepdim=*/true));
  max = max.masked_fill(max.isinf(), 0);  // rows without edges
  const torch::Tensor w = torch::exp(e - max) * mask;
  const torch::Tensor sum = w.sum(2, /*keepdim=*/true);
  return w / sum.masked_fill(sum == 0, 1);  // a row with edges sums to >= 1; an empty row stays 0
}

torch::Tensor gat_attention(AttentionImpl impl, const torch::Tensor& projected, const torch::Tensor& scores,
                            const EdgePlan& plan, double negative_slope, double dropout, bool training,
                            const DropoutKey& key, const Epilogue& epilogue, Precision precision) {
  // One mask [E, H] in the plan's edge order for all three forms, so they drop the same coefficients;
  // in the scores' dtype, which the attention computes in.
  const torch::Tensor mask =
      training && dropout > 0 ? dropout_mask(key, DropoutSite::kAttention, projected.size(1), dropout, scores.options())
                              : torch::Tensor();
  if (impl == AttentionImpl::kFused)
    return fused_attention(projected, scores, plan, negative_slope, mask, epilogue, precision);
  const torch::Tensor& edge_index = plan.edge_index;
  const int64_t n = projected.size(0), h = projected.size(1), hf = h * projected.size(2);
  const torch::Tensor score_src = scores.select(2, 0), score_dst = scores.select(2, 1);
  if (impl == AttentionImpl::kDense) {
    torch::Tensor alpha = attention_coefficients_dense(score_src, score_dst, edge_index, negative_slope);
    if (mask.defined()) {
      torch::Tensor dense_mask = torch::zeros({h, n, n}, alpha.options());
      dense_mask.index_put_({torch::indexing::Slice(), edge_index[1], edge_index[0]}, mask.t());  // [H, target, source]
      alpha = alpha * dense_mask;
    }
    // [H, N, N] x [H, N, F] -> [H, N, F] -> [N, H * F]
    return apply_epilogue(torch::bmm(alpha, projected.transpose(0, 1)).transpose(0, 1).reshape({n, hf}), epilogue);
  }
  torch::Tensor alpha = attention_coefficients_sparse(score_src, score_dst, edge_index, negative_slope);
  if (mask.defined()) alpha = alpha * mask;
  const torch::Tensor messages = projected.index_select(0, edge_index[0]) * alpha.unsqueeze(2);  // [E, H, F]
  return apply_epilogue(torch::zeros({n, hf}, projected.options()).index_add(0, edge_index[1], messages.view({-1, hf})),
                        epilogue);
}

}  // namespace gat::ops
