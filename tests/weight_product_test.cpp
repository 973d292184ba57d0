// times_weight (x · wᵀ) against the product in float64, forward and both gradients, on the rows split
// across 1, 2 and 3 threads, and its bits for a given thread count; the same in bfloat16 against
// float64 of the rounded operands, on the CPU and on a GPU; in TF32 on a GPU; product() against
// float64 for each way its operands can lie; the errors for mismatched shapes and for a
// train.precision the device cannot run.
#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/version.h>

#include <array>
#include <vector>

#include "common/error.h"
#include "ops/weight_product.h"
#include "support/gpu.h"

namespace {

using gat::Precision;
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
Result run(const torch::Tensor& x0, const torch::Tensor& w0, const torch::Tensor& r, bool x_grad = true,
           Precision precision = Precision::kFp32) {
  torch::Tensor x = x0.clone().requires_grad_(x_grad), w = w0.clone().requires_grad_(true);
  torch::Tensor out = times_weight(x, w, BelowSplit::kTransposedCopy, precision);
  (out * r).sum().backward();
  return {out.detach(), x_grad ? x.grad() : torch::Tensor(), w.grad()};
}

// The same, in float64 on the CPU: the reference each result is held to.
Result in_float64(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& r) {
  return {torch::mm(x, w.t()), torch::mm(r, w), torch::mm(r.t(), x)};
}

// max |a - b| / max |b|, a taken to b's device and dtype.
double relative_error(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(b.device(), torch::kFloat64) - b).abs().max().item<double>() / b.abs().max().item<double>();
}

// relative_error of each part of a Result, in kParts' order.
constexpr std::array<const char*, 3> kParts = {"out", "x_grad", "w_grad"};

std::array<double, kParts.size()> relative_errors(const Result& got, const Result& expected) {
  return {relative_error(got.out, expected.out), relative_error(got.x_grad, expected.x_grad),
          relative_error(got.w_grad, expected.w_grad)};
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
  const Result expected = in_float64(x, w, r);
  for (const int threads : {1, 2, 3}) {
    at::set_num_threads(threads);
    const auto f32 =
        relative_errors(run(x.to(torch::kFloat32), w.to(torch::kFloat32), r.to(torch::kFloat32)), expected);
    const auto f64 = relative_errors(run(x, w, r), expected);
    for (size_t k = 0; k < kParts.size(); ++k) {
      EXPECT_LT(f32[k], 1e-6) << kParts[k] << ", " << threads << " threads";
      EXPECT_LT(f64[k], 1e-14) << kParts[k] << ", " << threads << " threads";
    }
  }
}

// t's values rounded to bfloat16, in float64.
torch::Tensor rounded(const torch::Tensor& t) { return t.to(torch::kBFloat16).to(torch::kFloat64); }

// In bfloat16 the forward and both gradients are float32 sums of products of rounded operands
// (dL/dout too is rounded): within float32's accumulation error (1e-6, as above) of those sums in
// float64, at sizes above and below the split, on the CPU on 1 to 3 threads (oneDNN's bf16 gemm or
// LibTorch's mm) and on a GPU (cuBLAS's bf16 gemm into float32). Against the exact product the
// rounding shows: more than float32 rounding (1e-5 relative) and within a few bfloat16 units (2^-8
// each operand; 1e-2 relative).
void expect_bfloat16_products_of_rounded_operands(const torch::Device& device) {
  torch::manual_seed(4);
  for (const int64_t rows : {kRows, int64_t(37)}) {
    const torch::Tensor x = torch::randn({rows, kInputs}, torch::kFloat64);
    const torch::Tensor w = torch::randn({kOutputs, kInputs}, torch::kFloat64);
    const torch::Tensor r = torch::randn({rows, kOutputs}, torch::kFloat64);
    const Result expected = in_float64(rounded(x), rounded(w), rounded(r));
    const torch::Tensor exact = torch::mm(x, w.t());
    auto there = [&](const torch::Tensor& t) { return t.to(device, torch::kFloat32); };
    for (const int threads : device.is_cpu() ? std::vector<int>{1, 2, 3} : std::vector<int>{1}) {
      at::set_num_threads(threads);
      const Result bf16 = run(there(x), there(w), there(r), true, Precision::kBf16);
      ASSERT_EQ(bf16.out.scalar_type(), torch::kFloat32);
      ASSERT_EQ(bf16.w_grad.scalar_type(), torch::kFloat32);
      const auto errors = relative_errors(bf16, expected);
      for (size_t k = 0; k < kParts.size(); ++k)
        EXPECT_LT(errors[k], 1e-6) << kParts[k] << ", " << rows << " rows, " << threads << " threads on " << device;
      const double error = relative_error(bf16.out, exact);
      EXPECT_GT(error, 1e-5) << rows << " rows on " << device << ": the operands were not rounded";
      EXPECT_LT(error, 1e-2) << rows << " rows on " << device;
    }
  }
}

TEST_F(WeightProduct, Bfloat16IsTheFloat32SumOfRoundedOperands) {
  expect_bfloat16_products_of_rounded_operands(torch::kCPU);
}

// Runs where LibTorch sees a GPU, reported as skipped elsewhere.
TEST_F(WeightProduct, Bfloat16OnCudaIsTheFloat32SumOfRoundedOperands) {
  GAT_SKIP_WITHOUT(torch::kCUDA);
  expect_bfloat16_products_of_rounded_operands(torch::kCUDA);
}

// train.precision: tf32 on a GPU (use_precision sets cuBLAS's switch): the forward and both gradients
// within TF32's rounding of float64 (operands to 10 mantissa bits, 2^-11 each; 1e-2 relative) and
// further from it than float32's sums (1e-5), so TF32 ran; fp32 there keeps full float32 (1e-6, as
// on the CPU). Runs where LibTorch sees a GPU, reported as skipped elsewhere; the switch is put back.
TEST_F(WeightProduct, Tf32OnCudaRoundsWithinItsPrecisionAndFp32DoesNot) {
  GAT_SKIP_WITHOUT(torch::kCUDA);
  struct RestoreTf32 {
    ~RestoreTf32() { at::globalContext().setAllowTF32CuBLAS(was); }
    const bool was = at::globalContext().allowTF32CuBLAS();
  } restore;
  torch::manual_seed(6);
  const torch::Tensor x = torch::randn({kRows, kInputs}, torch::kFloat64);
  const torch::Tensor w = torch::randn({kOutputs, kInputs}, torch::kFloat64);
  const torch::Tensor r = torch::randn({kRows, kOutputs}, torch::kFloat64);
  const Result expected = in_float64(x, w, r);
  auto on_gpu = [](const torch::Tensor& t) { return t.to(torch::kCUDA, torch::kFloat32); };
  auto errors = [&](Precision precision) {
    return relative_errors(run(on_gpu(x), on_gpu(w), on_gpu(r), true, precision), expected);
  };
  at::globalContext().setAllowTF32CuBLAS(false);
  const auto fp32 = errors(Precision::kFp32);
  for (size_t k = 0; k < kParts.size(); ++k) EXPECT_LT(fp32[k], 1e-6) << kParts[k] << ", fp32 on the GPU";
  gat::ops::use_precision(Precision::kTf32, torch::Device(torch::kCUDA, 0));
  const auto tf32 = errors(Precision::kTf32);
  for (size_t k = 0; k < kParts.size(); ++k) {
    EXPECT_GT(tf32[k], 1e-5) << kParts[k] << ", tf32: the products were not rounded";
    EXPECT_LT(tf32[k], 1e-2) << kParts[k] << ", tf32";
  }
}

TEST_F(WeightProduct, Bfloat16KeepsSparseInputsInFloat32) {
  torch::manual_seed(5);
  const torch::Tensor dense = torch::randn({40, 30}) * (torch::rand({40, 30}) < 0.2);
  const torch::Tensor w = torch::randn({16, 30});
  const torch::Tensor out = times_weight(dense.to_sparse(), w, BelowSplit::kTransposedView, Precision::kBf16);
  EXPECT_LT(relative_error(out, torch::mm(dense.to(torch::kFloat64), w.to(torch::kFloat64).t())), 1e-6);
}

// The one-line errors of train.precision, and where each choice runs.
std::string precision_error(Precision precision, const torch::Device& device) {
  try {
    gat::ops::use_precision(precision, device);
  } catch (const gat::Error& e) {
    return e.what();
  }
  return "";
}

TEST_F(WeightProduct, EachPrecisionRunsWhereItPaysAndNamesTheKeyElsewhere) {
  const torch::Device cpu(torch::kCPU), gpu(torch::kCUDA, 0);
  EXPECT_EQ(precision_error(Precision::kFp32, cpu), "");
  EXPECT_EQ(precision_error(Precision::kTf32, cpu),
            "train.precision: tf32 is for a GPU's cuBLAS (train.device: cuda); the CPU has no TF32, use fp32");
  if (GAT_MM_OUT_DTYPE)
    EXPECT_EQ(precision_error(Precision::kBf16, gpu), "");
  else
    EXPECT_EQ(precision_error(Precision::kBf16, gpu),
              "train.precision: bf16 on a GPU needs LibTorch 2.8 or later (mm's float32 results of bfloat16 "
              "operands); this build has " TORCH_VERSION ", use fp32 or tf32");
  const std::string bf16_on_cpu = precision_error(Precision::kBf16, cpu);
  if (gat::ops::bf16_products_run_natively())
    EXPECT_EQ(bf16_on_cpu, "");
  else
    EXPECT_EQ(bf16_on_cpu.rfind("train.precision: bf16 needs a CPU with AVX-512 BF16 and a build with oneDNN's bf16 "
                                "gemm (libdnnl-dev); here ",
                                0),
              0u)
        << bf16_on_cpu;
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
  EXPECT_THROW(times_weight(torch::zeros({4, 3}), torch::zeros({5, 2}), BelowSplit::kTransposedView, Precision::kFp32),
               c10::Error);
}

}  // namespace
