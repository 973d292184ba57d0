// The product of an input with a layer's weight, laid out for the weight's gradient.
#pragma once

#include <torch/torch.h>

namespace gat::ops {

// x · wᵀ for a weight w [out, in] and an input x [N, in] of few columns (PPI's 50 features). wᵀ goes
// to the product as its own contiguous [in, out] copy, so that autograd forms w's gradient as
// xᵀ · dY, streaming the wide dY [N, out] by rows, rather than as (dYᵀ · x)ᵀ, which BLAS first packs
// from dY's transpose. PPI's first layer (4,490 x 50 by 1,024, 2 threads): 3.4-3.9 ms a gradient
// against 4.8-5.4 ms. From a few hundred inputs on the two forms take the same time, and there
// GATConv makes one product of all its weights instead (GATConv::project).
torch::Tensor times_weight(const torch::Tensor& x, const torch::Tensor& w);

}  // namespace gat::ops
