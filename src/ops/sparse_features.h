// The first layer's products for sparse input features (bag-of-words rows: Cora, Citeseer,
// Pubmed), on the CPU, without LibTorch's generic sparse path.
#pragma once

#include <torch/torch.h>

namespace gat::ops {

// x · weightᵀ for x a coalesced sparse COO matrix [N, in] on the CPU (its rows ascending, so it
// is walked as CSR) and weight dense [out, in], float32 or float64. Returns [N, out], dense.
// Differentiable in weight: dL/dweight = (xᵀ · dL/dout)ᵀ, formed from x's stored elements without
// transposing x. x is data, never differentiated, and what is stored is what counts: dropout's
// zeros (ops/dropout.h) are stored values like any other.
//
// Forward, rows split over threads: out[i, :] = sum_k x_ik weight[:, k]ᵀ, over i's stored k.
// Backward, output columns split over threads: each thread walks every stored element in order
// and adds into its columns of dL/dweightᵀ. Every sum runs in the stored order whatever the
// threads, so results are bitwise identical across thread counts and kernel builds.
torch::Tensor sparse_features_product(const torch::Tensor& x, const torch::Tensor& weight);

}  // namespace gat::ops
