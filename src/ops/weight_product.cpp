#include "ops/weight_product.h"

namespace gat::ops {

torch::Tensor times_weight(const torch::Tensor& x, const torch::Tensor& w) { return torch::mm(x, w.t().contiguous()); }

}  // namespace gat::ops
