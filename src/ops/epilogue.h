// What a GAT layer does to the attention's output before handing it on: the residual, the bias and,
// between layers, ELU (eq. 5's nonlinearity).
#pragma once

#include <torch/torch.h>

#include "common/choices.h"

namespace gat::ops {

// out <- ELU(out + residual · residual_weightᵀ + bias), each part optional, summed in that order.
struct Epilogue {
  torch::Tensor residual;                  // the layer's input rows [N, in] (dense or sparse COO), or undefined
  torch::Tensor residual_weight;           // [C, in] where in differs from the output's width C; undefined: identity
  torch::Tensor bias;                      // [C], or undefined
  bool elu = false;                        // ELU with alpha 1 after the sums
  Precision precision = Precision::kFp32;  // of the residual's product (ops::times_weight)
};

// The epilogue by LibTorch ops, in place on `out` [N, C]: what the sparse and dense attentions use,
// and the reference for the fused kernels, CPU and CUDA, which do it in their output writes.
torch::Tensor apply_epilogue(torch::Tensor out, const Epilogue& epilogue);

}  // namespace gat::ops
