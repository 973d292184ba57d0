// Gradients checked against central finite differences, for float64 tensors.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <vector>

namespace gat::testing {

// Calls loss().backward() once, then for every element of every input compares the analytic
// gradient with (loss(x + h) - loss(x - h)) / 2h, h = 1e-6, within abs_tol + rel_tol * |numeric|
// (a gtest failure names the input and element). The inputs must require grad.
void expect_gradients_match_finite_differences(const std::vector<torch::Tensor>& inputs,
                                               const std::function<torch::Tensor()>& loss, double abs_tol,
                                               double rel_tol = 0);

}  // namespace gat::testing
