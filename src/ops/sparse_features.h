// The first layer's products for sparse input features (bag-of-words rows: Cora, Citeseer,
// Pubmed), on the CPU, without LibTorch's generic sparse path.
#pragma once

#include <torch/torch.h>

namespace gat::ops {

// x · weight_pᵀ for each weight p, x a coalesced sparse COO matrix [N, in] on the CPU (its rows
// ascending, so it is walked as CSR) and each weight dense [out_p, in], float32 or float64: one
// walk over x's stored elements for all the products, each returned as its own dense, contiguous
// [N, out_p]. Differentiable in the weights: dL/dweight_p = (xᵀ · dL/dout_p)ᵀ, formed from x's
// stored elements without transposing x. x is data, never differentiated. Stored zeros (dropout
// leaves what it drops stored, ops/dropout.h) are skipped: they would add nothing.
//
// Forward, rows split over threads: out_p[i, :] = sum_k x_ik weight_p[:, k]ᵀ, over i's stored k.
// Backward, output columns split over threads: each thread walks every stored non-zero in order
// and adds into its columns of dL/dweightᵀ. Every sum runs in the stored order whatever the
// threads and however the weights are grouped, so results are bitwise identical across thread
// counts, kernel builds and groupings.
std::vector<torch::Tensor> sparse_features_products(const torch::Tensor& x, at::TensorList weights);

}  // namespace gat::ops
