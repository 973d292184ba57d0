// The CUDA kernels behind ops::fused_attention for tensors on a GPU (built only with CUDA).
// Raw device pointers and a stream: the caller (ops/fused_attention.cpp) owns the tensors and
// picks the stream, so this code needs no LibTorch headers.
#pragma once

#include <cuda_bf16.h>
#include <cuda_runtime_api.h>

#include <cstdint>

namespace gat::ops::cuda {

// The layer's epilogue (ops/epilogue.h) in the forward's output writes:
// out = ELU(the attention's sum + addend + bias), each part where given.
template <typename T>
struct Epilogue {
  const T* addend = nullptr;  // [N, H * F]: the residual, or its product with the residual weight
  const T* bias = nullptr;    // [H * F]
  bool elu = false;
};

// Its backward. out, the forward's output, is given where it had ELU: grad_pre [N, H * F] then gets
// dL/d(the sum before ELU), the addend's gradient, and the attention's backward starts from it.
// grad_bias [H * F], where given, gets that gradient's column sums, added in double by blocks of
// kBiasGradientRows rows in bias_partials [bias_gradient_blocks(N), H * F], then in block order.
template <typename T>
struct EpilogueGradients {
  const T* out = nullptr;
  T* grad_pre = nullptr;
  T* grad_bias = nullptr;
  double* bias_partials = nullptr;
};

constexpr int64_t kBiasGradientRows = 256;
constexpr int64_t bias_gradient_blocks(int64_t n) { return (n + kBiasGradientRows - 1) / kBiasGradientRows; }

// Forward: alpha [E, H] (softmax per target and head, before dropout) and out [N, H, F].
// n, h, f: nodes, heads, features per head; x holds Wh's rows of H * F x_ld apart (GATConv's one
// product leaves them inside wider rows), in T, or in bfloat16 (X = __nv_bfloat16) with T float:
// then only the reads of Wh are bfloat16, and the sums, softmax and outputs float32. Instantiated
// for (float, float), (double, double) and (float, __nv_bfloat16). mask [E, H] or null. The scores
// are one [N, H, 2] tensor: node j's score of head `head` as a source at
// score_src[2 * (j * h + head)], and as a target at the same index of score_dst = score_src + 1.
// Their gradients are laid out alike.
template <typename T, typename X>
void fused_attention_forward(int64_t n, int64_t h, int64_t f, const X* x, int64_t x_ld, const T* score_src,
                             const T* score_dst, const T* mask, const int64_t* target_ptr, const int64_t* source,
                             T negative_slope, const Epilogue<T>& epilogue, T* alpha, T* out, cudaStream_t stream);

// Backward: given g = dL/dout [N, H * F], writes dL/dx (contiguous [N, H, F]; x is laid out as in
// the forward), dL/dscore_src, dL/dscore_dst and the epilogue's gradients; t [E, H] is scratch.
// e: edges of the plan.
template <typename T, typename X>
void fused_attention_backward(int64_t n, int64_t e, int64_t h, int64_t f, const X* x, int64_t x_ld, const T* score_src,
                              const T* score_dst, const T* mask, const T* alpha, const T* g, const int64_t* target_ptr,
                              const int64_t* source, const int64_t* target, const int64_t* source_ptr,
                              const int64_t* by_source, T negative_slope, const EpilogueGradients<T>& epilogue, T* t,
                              T* grad_x, T* grad_score_src, T* grad_score_dst, cudaStream_t stream);

}  // namespace gat::ops::cuda
