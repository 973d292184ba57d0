// Central differences, one element at a time.
#include "support/finite_differences.h"

#include <gtest/gtest.h>

#include <cmath>

namespace gat::testing {

void expect_gradients_match_finite_differences(const std::vector<torch::Tensor>& inputs,
                                               const std::function<torch::Tensor()>& loss, double abs_tol,
                                               double rel_tol) {
  for (const torch::Tensor& input : inputs)
    if (input.grad().defined()) input.mutable_grad().zero_();
  loss().backward();
  for (std::size_t n = 0; n < inputs.size(); ++n) {
    const torch::Tensor analytic = inputs[n].grad().clone().view(-1);
    torch::NoGradGuard no_grad;
    torch::Tensor flat = inputs[n].view(-1);
    for (int64_t i = 0; i < flat.numel(); ++i) {
      const double orig = flat[i].item<double>(), h = 1e-6;
      flat[i] = orig + h;
      const double up = loss().item<double>();
      flat[i] = orig - h;
      const double down = loss().item<double>();
      flat[i] = orig;
      const double numeric = (up - down) / (2 * h);
      EXPECT_NEAR(analytic[i].item<double>(), numeric, abs_tol + rel_tol * std::abs(numeric))
          << "input " << n << ", element " << i;
    }
  }
}

}  // namespace gat::testing
