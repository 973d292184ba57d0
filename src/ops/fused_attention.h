// Fused GAT attention: one pass per target, no per-edge feature messages.
#pragma once

#include <torch/torch.h>

#include "common/choices.h"
#include "common/edge_plan.h"
#include "ops/epilogue.h"

namespace gat::ops {

// out_i = sum_{j -> i} mask_ij * alpha_ij * Wh_j with alpha the softmax over i's incoming edges of
// LeakyReLU(scores[j, h, 0] + scores[i, h, 1]) (eqs. 3-4 of the paper), over the plan's edges.
// projected [N, H, F] (its rows any distance apart) and scores [N, H, 2] (each node's score as a
// source, then as a target), of one floating dtype on the CPU or, in a CUDA build, the GPU.
// dropout_mask [E, H] in the plan's edge order (0 or 1/(1-p)), or undefined for none, and the
// epilogue's tensors are of the scores' dtype. Returns [N, H * F] of that dtype, the heads side by
// side. Differentiable in projected and scores (first order).
//
// Memory: alpha [E, H] is kept for backward and backward needs one more [E, H]; nothing of size
// E x H x F is ever formed. Each output row is written by one thread in a fixed order, so results
// are bitwise identical across runs and thread counts.
//
// With an epilogue, returns it done on that output (ops/epilogue.h) in the kernel's output writes, so
// that no further pass over N x H*F floats runs in the forward; the backward takes g through it in
// the pass that lays g out (CPU) or in one pass of its own (GPU). Differentiable in its residual,
// residual weight and bias too.
//
// With Precision::kBf16 on a GPU (float32), the kernels read a copy of Wh rounded to bfloat16, made
// in one pass and kept for the backward in place of Wh: their per-edge gathers of Wh's rows read half
// the bytes, while the scores, the softmax's statistics, every sum and every result stay float32.
// Elsewhere the precision changes nothing: on the CPU bfloat16 rows were slower (docs/performance.md,
// "The attention's rows in bfloat16 on the CPU").
torch::Tensor fused_attention(const torch::Tensor& projected, const torch::Tensor& scores, const EdgePlan& plan,
                              double negative_slope, const torch::Tensor& dropout_mask, const Epilogue& epilogue = {},
                              Precision precision = Precision::kFp32);

}  // namespace gat::ops
