// The CUDA kernels behind ops::fused_attention for tensors on a GPU (built only with CUDA).
// Raw device pointers and a stream: the caller (ops/fused_attention.cpp) owns the tensors and
// picks the stream, so this code needs no LibTorch headers.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace gat::ops::cuda {

// Forward: alpha [E, H] (softmax per target and head, before dropout) and out [N, H, F].
// n, h, f: nodes, heads, features per head; mask [E, H] or null. The scores are one [N, H, 2]
// tensor: node j's score of head `head` as a source at score_src[2 * (j * h + head)], and as a
// target at the same index of score_dst = score_src + 1. Their gradients are laid out alike.
template <typename T>
void fused_attention_forward(int64_t n, int64_t h, int64_t f, const T* x, const T* score_src, const T* score_dst,
                             const T* mask, const int64_t* target_ptr, const int64_t* source, T negative_slope,
                             T* alpha, T* out, cudaStream_t stream);

// Backward: given g = dL/dout, writes dL/dx, dL/dscore_src, dL/dscore_dst; t [E, H] is scratch.
// e: edges of the plan.
template <typename T>
void fused_attention_backward(int64_t n, int64_t e, int64_t h, int64_t f, const T* x, const T* score_src,
                              const T* score_dst, const T* mask, const T* alpha, const T* g, const int64_t* target_ptr,
                              const int64_t* source, const int64_t* target, const int64_t* source_ptr,
                              const int64_t* by_source, T negative_slope, T* t, T* grad_x, T* grad_score_src,
                              T* grad_score_dst, cudaStream_t stream);

}  // namespace gat::ops::cuda
