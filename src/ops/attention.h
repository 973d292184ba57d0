// GAT attention (Velickovic et al., ICLR 2018, eqs. 1-4) in two interchangeable forms.
#pragma once

#include <torch/torch.h>

#include "common/choices.h"
#include "common/dropout_key.h"
#include "common/edge_plan.h"
#include "ops/epilogue.h"

namespace gat::ops {

// The forms, AttentionImpl (common/choices.h):
// fused: one kernel pass per target with its own backward (ops/fused_attention.h); the default.
// sparse: edge list from LibTorch ops (per-edge scores, softmax over each target's incoming edges,
//   weighted sum); forms E x H x F messages, so it is a reference for the fused kernel.
// dense: the masked N x N form of the paper's reference code; O(N^2 H) memory, for small graphs.

// The attention step of a GAT layer, for every target node i over its incoming edges j -> i:
//   e_ij     = LeakyReLU(a_src . Wh_j + a_dst . Wh_i)            (eq. 3, the concatenation
//                                                               a^T [Wh_i || Wh_j] split in two)
//   alpha_ij = exp(e_ij) / sum_{k -> i} exp(e_ik)                (eq. 3, softmax over i's in-edges)
//   out_i    = sum_{j -> i} dropout(alpha_ij) Wh_j               (eq. 4 before the nonlinearity)
// Shapes: projected Wh [N, H, F]; scores [N, H, 2], a_src . Wh in [..., 0] and a_dst . Wh in
// [..., 1] (one tensor, so that one product makes both and their gradient comes back as one);
// the plan's edges, free of duplicates. Returns [N, H * F], the heads side by side; a node without
// incoming edges gets zeros. Differentiable in projected and scores. All three forms drop alpha
// with one mask, [E, H] in the plan's edge order keyed by `key` (ops/dropout.h), so one key gives
// them one result. With an epilogue, returns it done on that output (ops/epilogue.h): the fused
// form does it in its output writes, the others by LibTorch's ops. `precision` is the layer's: at
// kBf16 the fused form on a GPU reads Wh in bfloat16 (ops/fused_attention.h); the others, references,
// read it as it is.
torch::Tensor gat_attention(AttentionImpl impl, const torch::Tensor& projected, const torch::Tensor& scores,
                            const EdgePlan& plan, double negative_slope, double dropout, bool training,
                            const DropoutKey& key, const Epilogue& epilogue = {},
                            Precision precision = Precision::kFp32);

// alpha for each edge column, [E, H] (sparse form).
torch::Tensor attention_coefficients_sparse(const torch::Tensor& score_src, const torch::Tensor& score_dst,
                                            const torch::Tensor& edge_index, double negative_slope);

// alpha as a dense [H, N, N] tensor indexed [head, target, source]; exactly 0 off the edges.
torch::Tensor attention_coefficients_dense(const torch::Tensor& score_src, const torch::Tensor& score_dst,
                                           const torch::Tensor& edge_index, double negative_slope);

}  // namespace gat::ops
