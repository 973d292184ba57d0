// Test helper: how far a tensor is from a reference, relative to the reference's scale.
#pragma once

#include <torch/torch.h>

namespace gat::testing {

// max |a - b| / max |b|: the error relative to the tensor's scale, so that elements that cancel to
// near zero are not judged by their own tiny magnitude. An all-zero reference divides by 1e-30,
// so any difference from it shows as huge rather than as NaN.
inline double rel_error(const torch::Tensor& a, const torch::Tensor& b) {
  return ((a - b).abs().max() / b.abs().max().clamp_min(1e-30)).item<double>();
}

}  // namespace gat::testing
