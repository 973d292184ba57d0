// Dropout masks from uniform draws.
#include "ops/dropout.h"

namespace gat::ops {

torch::Tensor dropout_mask(torch::IntArrayRef sizes, double p, const torch::TensorOptions& options) {
  TORCH_CHECK(p >= 0 && p < 1, "dropout_mask: p must be in [0, 1), got ", p);
  return (torch::rand(sizes, options) >= p).to(options.dtype()).mul_(1.0 / (1.0 - p));
}

torch::Tensor dropout(const torch::Tensor& x, double p, bool training) {
  if (!training || p == 0) return x;
  return x * dropout_mask(x.sizes(), p, x.options());
}

}  // namespace gat::ops
