// The products of an input with a layer's weights, forward and backward.
#pragma once

#include <torch/torch.h>

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
torch::Tensor times_weight(const torch::Tensor& x, const torch::Tensor& w, BelowSplit below);

// Multiply-adds (N x in x out) from which times_weight cuts a CPU product by rows.
constexpr double kSplitProductWork = 1 << 24;

}  // namespace gat::ops
