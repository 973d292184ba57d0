// The products of an input with a layer's weights, forward and backward.
#pragma once

#include <torch/torch.h>

#include "common/choices.h"

namespace gat::ops {

// a · b for a [M, K] and b [K, P], not differentiable: on the CPU in float32 oneDNN's sgemm where the
// build has it (GAT_WITH_DNNL, from libdnnl-dev), whose AVX-512 kernels run at about twice the rate
// of OpenBLAS's AVX2 ones, to which this machine's environment pins LibTorch's mm (PPI's products
// on 2 threads: 350-360 GFLOP/s against 180; docs/performance.md "oneDNN's products"); otherwise
// LibTorch's mm. Inside a parallel region it runs on the calling thread alone, else on LibTorch's
// threads. gat_bench --reference-matmul times it, and bench/floors.py the same sgemm.
torch::Tensor product(const torch::Tensor& a, const torch::Tensor& b);

// x · wᵀ for a weight w [out, in] and a dense input x [N, in], differentiable in both.
//
// On the CPU, from kSplitProductWork multiply-adds on, each product of the forward and the backward
// (x's gradient dY · w, w's dYᵀ · x) is cut by its result's rows into one contiguous block per
// thread, and each block is one single-threaded product(). OpenBLAS's own threads share the packed
// panels of one call and wait for each other at every panel; blocks of their own wait only once, at
// the end. PPI's products on OpenBLAS (4,490 rows, 2 threads, docs/performance.md "Rows split across
// the threads"): the 1,024-wide layers' 2-8 % faster, the 50-input layer's 13-25 %; a 2,048-cube
// product 2 %. An element's sum runs over the same inner dimension either way but BLAS blocks it by
// the rows it is given, so the result depends on the thread count, as a BLAS library's own split
// does; the same count gives the same bits.
//
// Below that and on CUDA, LibTorch's mm, taking w as `below` says.
enum class BelowSplit {
  // wᵀ as its own contiguous [in, out] copy, for an input of few columns (PPI's 50 features):
  // autograd then forms w's gradient as xᵀ · dY, streaming the wide dY [N, out] by rows, rather than
  // as (dYᵀ · x)ᵀ, which BLAS first packs from dY's transpose (PPI's first layer on OpenBLAS's
  // threads: 3.4-3.9 ms a gradient against 4.8-5.4 ms).
  kTransposedCopy,
  // w.t() as it lies: from a few hundred inputs on the two forms take the same time, and the copy
  // would be one more pass over w.
  kTransposedView,
};
//
// With Precision::kBf16 and a dense x, every product of the forward and the backward runs on
// bfloat16 operands (each rounded to nearest even) with float32 accumulation and float32 results,
// so w stays the float32 master weight and the gradients come back in float32: on the CPU cut by
// rows as above at any size, each block oneDNN's bf16 gemm where the build has it
// (bf16_products_run_natively()), else LibTorch's float32 mm of the rounded operands, which is the
// same arithmetic (a product of two bfloat16 values is exact in float32) in BLAS's order; on CUDA
// one product, cuBLAS's bfloat16 gemm into float32 where this LibTorch's mm has out_dtype (PyTorch
// 2.8 on; CMake sets GAT_MM_OUT_DTYPE where a call compiles), else that float32 mm. Sparse inputs
// keep float32. kFp32 and kTf32 are the float32 products; TF32 is cuBLAS's global switch
// (use_precision).
torch::Tensor times_weight(const torch::Tensor& x, const torch::Tensor& w, BelowSplit below, Precision precision);

// Whether kBf16's CPU products run on bfloat16 instructions: a build with oneDNN's bf16 gemm on a
// CPU with AVX-512 BF16. Elsewhere they would be float32 products with extra rounding, slower than
// kFp32.
bool bf16_products_run_natively();

// Checks that train.precision pays on `device`, and sets what it needs there (TF32 for cuBLAS's
// float32 products); throws gat::Error naming train.precision otherwise. fp32 runs everywhere; tf32
// on CUDA only; bf16 on a CPU where bf16_products_run_natively() (its float32 master weights and
// results are measured in docs/performance.md, "bfloat16 products"), and on CUDA where
// GAT_MM_OUT_DTYPE (not yet measured there: issue 24).
void use_precision(Precision precision, const torch::Device& device);

// Multiply-adds (N x in x out) from which times_weight cuts a CPU product by rows.
constexpr double kSplitProductWork = 1 << 24;

}  // namespace gat::ops
