// times_weight (x · wᵀ) against the product in float64, forward and both gradients, on the rows split
// across 1, 2 and 3 threads, and its bits for a given thread count; product() against float64 for
// each way its operands can lie, and its error for mismatched shapes.
#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include "ops/weight_product.h"

namespace {

using gat::ops::BelowSplit;
using gat::ops::product;
using gat::ops::times_weight;

// 2,999 rows (not a multiple of 2 or 3 threads' blocks) x 100 inputs x 64 outputs: 19.2 M
// multiply-adds, past the split's threshold.
constexpr int64_t kRows = 2999, kInputs = 100, kOutputs = 64;
static_assert(double(kRows) * kInputs * kOutputs >= gat::ops::kSplitProductWork, "the split must be taken");

struct Result {
  torch::Tensor out, x_grad, w_grad;
};

// Output and both gradients under the loss sum(out * r).
Result run(const torch::Tensor& x0, const torch::Tensor& w0, const torch::Tensor& r, bool x_grad = true) {
  torch::Tensor x = x0.clone().requires_grad_(x_grad), w = w0.clone().requires_grad_(true);
  torch::Tensor out = times_weight(x, w, BelowSplit::kTransposedCopy);
  (out * r).sum().backward();
  return {out.detach(), x_grad ? x.grad() : torch::Tensor(), w.grad()};
}

// max |a - b| / max |b|.
double relative_error(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kFloat64) - b).abs().max().item<double>() / b.abs().max().item<double>();
}

class WeightProduct : public ::testing::Test {
 protected:
  void TearDown() override { at::set_num_threads(threads_); }
  const int threads_ = at::get_num_threads();
};

TEST_F(WeightProduct, AgreesWithTheProductInFloat64OnAnyThreadCount) {
  torch::manual_seed(0);
  const torch::Tensor x = torch::randn({kRows, kInputs}, torch::kFloat64);
  const torch::Tensor w = torch::randn({kOutputs, kInputs}, torch::kFloat64);
  const torch::Tensor r = torch::randn({kRows, kOutputs}, torch::kFloat64);
  const torch::Tensor out = torch::mm(x, w.t()), x_grad = torch::mm(r, w), w_grad = torch::mm(r.t(), x);
  for (const int threads : {1, 2, 3}) {
    at::set_num_threads(threads);
    const Result f32 = run(x.to(torch::kFloat32), w.to(torch::kFloat32), r.to(torch::kFloat32));
    EXPECT_LT(relative_error(f32.out, out), 1e-6) << threads << " threads";
    EXPECT_LT(relative_error(f32.x_grad, x_grad), 1e-6) << threads << " threads";
    EXPECT_LT(relative_error(f32.w_grad, w_grad), 1e-6) << threads << " threads";
    const Result f64 = run(x, w, r);
    EXPECT_LT(relative_error(f64.out, out), 1e-14) << threads << " threads";
    EXPECT_LT(relative_error(f64.x_grad, x_grad), 1e-14) << threads << " threads";
    EXPECT_LT(relative_error(f64.w_grad, w_grad), 1e-14) << threads << " threads";
  }
}

TEST_F(WeightProduct, AnInputWithoutGradientGetsNone) {
  at::set_num_threads(2);
  torch::manual_seed(1);
  const torch::Tensor x = torch::randn({kRows, kInputs}), w = torch::randn({kOutputs, kInputs});
  const Result result = run(x, w, torch::randn({kRows, kOutputs}), false);
  EXPECT_FALSE(result.x_grad.defined());
  EXPECT_TRUE(result.w_grad.defined());
}

TEST_F(WeightProduct, TheSameThreadCountGivesTheSameBits) {
  torch::manual_seed(2);
  const torch::Tensor x = torch::randn({kRows, kInputs}), w = torch::randn({kOutputs, kInputs});
  const torch::Tensor r = torch::randn({kRows, kOutputs});
  for (const int threads : {2, 3}) {
    at::set_num_threads(threads);
    const Result a = run(x, w, r), b = run(x, w, r);
    EXPECT_TRUE(torch::equal(a.out, b.out) && torch::equal(a.x_grad, b.x_grad) && torch::equal(a.w_grad, b.w_grad))
        << threads << " threads";
  }
}

// Rows apart (as stored), a transposed view, and two that oneDNN's sgemm cannot take and LibTorch's mm
// does instead: neither dimension contiguous (every second row and column of a wider tensor), and
// every row the one stored row (stride 0).
std::vector<torch::Tensor> layouts(const torch::Tensor& t) {
  const torch::Tensor wide = torch::zeros({2 * t.size(0), 2 * t.size(1)}, t.options());
  const torch::Tensor every_second = wide.slice(0, 0, wide.size(0), 2).slice(1, 0, wide.size(1), 2);
  every_second.copy_(t);
  return {t.contiguous(), t.t().contiguous().t(), every_second, t.narrow(0, 0, 1).expand_as(t)};
}

TEST_F(WeightProduct, ProductAgreesWithFloat64HoweverItsOperandsLie) {
  torch::manual_seed(3);
  const torch::Tensor a = torch::randn({301, 203}, torch::kFloat64), b = torch::randn({203, 157}, torch::kFloat64);
  for (const int threads : {1, 2}) {
    at::set_num_threads(threads);
    int case_index = 0;
    for (const torch::Tensor& al : layouts(a.to(torch::kFloat32)))
      for (const torch::Tensor& bl : layouts(b.to(torch::kFloat32))) {
        const torch::Tensor c = product(al, bl);
        const torch::Tensor expected = torch::mm(al.to(torch::kFloat64), bl.to(torch::kFloat64));
        EXPECT_TRUE(c.is_contiguous() && c.sizes() == expected.sizes()) << case_index;
        EXPECT_LT(relative_error(c, expected), 1e-6) << threads << " threads, layouts " << case_index;
        ++case_index;
      }
  }
  EXPECT_TRUE(torch::equal(product(torch::zeros({3, 0}), torch::ones({0, 2})), torch::zeros({3, 2})));
}

TEST_F(WeightProduct, ProductRejectsMismatchedShapes) {
  try {
    product(torch::zeros({4, 3}), torch::zeros({2, 5}));
    FAIL() << "no error";
  } catch (const c10::Error& e) {
    EXPECT_EQ(e.msg(), "product: a [M, K] and b [K, P], got [4, 3] and [2, 5]");
  }
}

TEST_F(WeightProduct, RejectsMismatchedShapes) {
  EXPECT_THROW(times_weight(torch::zeros({4, 3}), torch::zeros({5, 2}), BelowSplit::kTransposedView), c10::Error);
}

}  // namespace
