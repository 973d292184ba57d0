// The layer epilogue by LibTorch ops.
#include "ops/epilogue.h"

#include "ops/weight_product.h"

namespace gat::ops {

torch::Tensor apply_epilogue(torch::Tensor out, const Epilogue& epilogue) {
  // In place: BLAS accumulates the residual's product into out (beta = 1, no zeroing pass), no new
  // N x C tensor is written, and ELU's backward reads its output, which the next layer keeps anyway.
  if (epilogue.residual.defined()) {
    const torch::Tensor& input = epilogue.residual;
    if (epilogue.residual_weight.defined() && epilogue.precision == Precision::kBf16)
      out.add_(times_weight(input, epilogue.residual_weight, BelowSplit::kTransposedView, epilogue.precision));
    else if (epilogue.residual_weight.defined())
      out.addmm_(input, epilogue.residual_weight.t());
    else
      out.add_(input.is_sparse() ? input.to_dense() : input);
  }
  if (epilogue.bias.defined()) out.add_(epilogue.bias);
  if (epilogue.elu) torch::elu_(out);
  return out;
}

}  // namespace gat::ops
