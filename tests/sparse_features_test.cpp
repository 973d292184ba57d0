// The sparse feature product against the dense product in float64, forward and gradient, and its
// results across thread counts.
#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include "ops/sparse_features.h"

namespace {

using gat::ops::sparse_features_products;

// A bag-of-words-like [n, in] matrix, about `density` of it stored, with some rows empty.
torch::Tensor sparse_rows(int64_t n, int64_t in, double density, torch::Dtype dtype, uint64_t seed) {
  torch::manual_seed(seed);
  torch::Tensor dense = torch::rand({n, in}, dtype) * (torch::rand({n, in}) < density).to(dtype);
  dense.narrow(0, 3, 2).zero_();
  return dense.to_sparse().coalesce();
}

// Forward and weight gradient of x · wᵀ under the loss sum(out * r), by the kernel or densely.
struct Result {
  torch::Tensor out, grad;
};
Result run(const torch::Tensor& x, const torch::Tensor& w0, const torch::Tensor& r, bool dense) {
  torch::Tensor w = w0.clone().requires_grad_(true);
  torch::Tensor out = dense ? torch::mm(x.to_dense(), w.t()) : sparse_features_products(x, {w})[0];
  (out * r).sum().backward();
  return {out.detach(), w.grad()};
}

TEST(SparseFeatures, ProductAndWeightGradientAgreeWithTheDenseProductInFloat64) {
  // 21 output columns: two whole vectors of 8 and a tail, split over threads in the backward.
  for (const double density : {0.0, 0.02, 0.3}) {
    const torch::Tensor x = sparse_rows(90, 70, density, torch::kFloat64, 1);
    const torch::Tensor w = torch::randn({21, 70}, torch::kFloat64);
    const torch::Tensor r = torch::randn({90, 21}, torch::kFloat64);
    const Result ours = run(x, w, r, false), dense = run(x, w, r, true);
    EXPECT_TRUE(torch::allclose(ours.out, dense.out, 1e-12, 1e-12)) << "density " << density;
    EXPECT_TRUE(torch::allclose(ours.grad, dense.grad, 1e-12, 1e-12)) << "density " << density;
  }
}

TEST(SparseFeatures, DroppedOutValuesStayStoredAndCountAsZeros) {
  // Dropout scales stored values and leaves zeros stored (ops/dropout.h): the product is the one
  // of the dense matrix with those zeros, and, as the kernel skips them, bitwise the one of the
  // matrix that does not store them, in float32 and float64.
  for (const torch::Dtype dtype : {torch::kFloat64, torch::kFloat32}) {
    const torch::Tensor x = sparse_rows(40, 30, 0.2, dtype, 2);
    const torch::Tensor values = x._values() * (torch::arange(x._nnz()) % 3 != 0).to(dtype) * 2;
    const torch::Tensor dropped = torch::sparse_coo_tensor(x._indices(), values, x.sizes())._coalesced_(true);
    const torch::Tensor unstored = dropped.to_dense().to_sparse().coalesce();
    ASSERT_LT(unstored._nnz(), dropped._nnz());
    const torch::Tensor w = torch::randn({8, 30}, dtype), r = torch::randn({40, 8}, dtype);
    const Result ours = run(dropped, w, r, false), dense = run(dropped, w, r, true),
                 without = run(unstored, w, r, false);
    if (dtype == torch::kFloat64) {
      EXPECT_TRUE(torch::allclose(ours.out, dense.out, 1e-12, 1e-12));
      EXPECT_TRUE(torch::allclose(ours.grad, dense.grad, 1e-12, 1e-12));
    }
    EXPECT_TRUE(torch::equal(ours.out, without.out)) << dtype;
    EXPECT_TRUE(torch::equal(ours.grad, without.grad)) << dtype;
  }
}

TEST(SparseFeatures, ResultsAreBitwiseTheSameForAnyThreadCount) {
  const torch::Tensor x = sparse_rows(300, 200, 0.05, torch::kFloat32, 3);
  const torch::Tensor w = torch::randn({40, 200}), r = torch::randn({300, 40});
  const int threads = at::get_num_threads();
  at::set_num_threads(1);
  const Result one = run(x, w, r, false);
  for (const int t : {2, 3, 5}) {
    at::set_num_threads(t);
    const Result many = run(x, w, r, false);
    EXPECT_TRUE(torch::equal(one.out, many.out)) << t << " threads";
    EXPECT_TRUE(torch::equal(one.grad, many.grad)) << t << " threads";
  }
  at::set_num_threads(threads);
}

TEST(SparseFeatures, WeightsTakenTogetherGiveEachProductAsTakenAlone) {
  // A layer's two products share one walk over x (model/gat_conv.cpp): each output and each weight
  // gradient is bitwise the one of its weight alone, on 1 and 2 threads; an output left out of the
  // loss gets a zero gradient. 21 + 6 columns: the threads' column slices cut across the two.
  const torch::Tensor x = sparse_rows(120, 50, 0.1, torch::kFloat32, 5);
  const torch::Tensor w0 = torch::randn({21, 50}), w1 = torch::randn({6, 50});
  const torch::Tensor r0 = torch::randn({120, 21}), r1 = torch::randn({120, 6});
  const int threads = at::get_num_threads();
  for (const int t : {1, 2}) {
    at::set_num_threads(t);
    const Result alone0 = run(x, w0, r0, false), alone1 = run(x, w1, r1, false);
    torch::Tensor a = w0.clone().requires_grad_(true), b = w1.clone().requires_grad_(true);
    const std::vector<torch::Tensor> both = sparse_features_products(x, {a, b});
    ((both[0] * r0).sum() + (both[1] * r1).sum()).backward();
    EXPECT_TRUE(torch::equal(both[0], alone0.out) && torch::equal(both[1], alone1.out)) << t << " threads";
    EXPECT_TRUE(torch::equal(a.grad(), alone0.grad) && torch::equal(b.grad(), alone1.grad)) << t << " threads";
    torch::Tensor c = w0.clone().requires_grad_(true), d = w1.clone().requires_grad_(true);
    (sparse_features_products(x, {c, d})[1] * r1).sum().backward();
    EXPECT_TRUE(torch::equal(d.grad(), alone1.grad)) << t << " threads";
    EXPECT_TRUE(!c.grad().defined() || torch::equal(c.grad(), torch::zeros_like(w0))) << t << " threads";
  }
  at::set_num_threads(threads);
}

TEST(SparseFeatures, RejectsWhatItCannotMultiply) {
  const torch::Tensor x = sparse_rows(10, 6, 0.5, torch::kFloat32, 4);
  auto message = [](const std::function<void()>& f) {
    try {
      f();
    } catch (const c10::Error& e) {
      return std::string(e.what_without_backtrace());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message([&] {
              sparse_features_products(x.to_dense(), {torch::randn({4, 6})});
            }),
            "sparse_features_products: x must be a coalesced 2-D sparse COO matrix on the CPU");
  EXPECT_EQ(message([&] {
              sparse_features_products(x, {torch::randn({4, 6}), torch::randn({4, 5})});
            }),
            "sparse_features_products: weight 1 must be [out, 6] on the CPU, of x's dtype (Float, float32 or float64), "
            "got [4, 5] Float on cpu");
}

}  // namespace
