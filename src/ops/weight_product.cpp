#include "ops/weight_product.h"

#include <ATen/Parallel.h>
#include <torch/version.h>

#if GAT_WITH_DNNL
#include <oneapi/dnnl/dnnl.h>
#endif

#include <algorithm>
#include <cstdint>
#include <string>

#include "common/error.h"

#if GAT_WITH_DNNL_BF16
// oneDNN's row-major gemm of bfloat16 operands into float32, accumulating in float32. libdnnl 2.6
// exports it with C linkage but does not declare it; CMake links a call before it sets
// GAT_WITH_DNNL_BF16.
extern "C" dnnl_status_t dnnl_gemm_bf16bf16f32(char transa, char transb, dnnl_dim_t m, dnnl_dim_t n, dnnl_dim_t k,
                                               float alpha, const uint16_t* a, dnnl_dim_t lda, const uint16_t* b,
                                               dnnl_dim_t ldb, float beta, float* c, dnnl_dim_t ldc);
#endif

namespace gat::ops {
namespace {

#if GAT_WITH_DNNL
// How oneDNN's row-major sgemm reads a 2-D float tensor: 'N', rows ld apart, or 'T', a transposed
// view of rows ld apart. Nothing where neither dimension is contiguous or rows overlap (an expanded
// tensor's stride 0): LibTorch's mm takes those.
bool dnnl_layout(const torch::Tensor& t, char& trans, int64_t& ld) {
  const int64_t rows = t.size(0), cols = t.size(1);
  if ((cols == 1 || t.stride(1) == 1) && (rows == 1 || t.stride(0) >= cols)) {
    trans = 'N', ld = rows == 1 ? cols : t.stride(0);
    return true;
  }
  if ((rows == 1 || t.stride(0) == 1) && (cols == 1 || t.stride(1) >= rows)) {
    trans = 'T', ld = cols == 1 ? rows : t.stride(1);
    return true;
  }
  return false;
}
#endif

// c = a · b into a contiguous float32 c, as product() says; with kBf16, a and b are bfloat16 (their
// values rounded from float32) and c accumulates in float32, as times_weight() says.
void product_into(torch::Tensor& c, const torch::Tensor& a, const torch::Tensor& b, Precision precision) {
  const bool bf16 = precision == Precision::kBf16;
#if GAT_WITH_DNNL
  char ta, tb;
  int64_t lda, ldb;
  const auto operand_type = bf16 ? torch::kBFloat16 : torch::kFloat;
  // Empty operands go to mm too, which writes the zeros an empty sum makes.
  if (a.is_cpu() && b.is_cpu() && a.scalar_type() == operand_type && b.scalar_type() == operand_type &&
      c.scalar_type() == torch::kFloat && c.is_contiguous() && a.numel() > 0 && b.numel() > 0 &&
      dnnl_layout(a, ta, lda) && dnnl_layout(b, tb, ldb) && (!bf16 || GAT_WITH_DNNL_BF16)) {
    const int64_t ldc = std::max<int64_t>(c.size(1), 1);
    dnnl_status_t status;
#if GAT_WITH_DNNL_BF16
    if (bf16)
      status = dnnl_gemm_bf16bf16f32(
          ta, tb, a.size(0), b.size(1), a.size(1), 1.0f, reinterpret_cast<const uint16_t*>(a.data_ptr<at::BFloat16>()),
          lda, reinterpret_cast<const uint16_t*>(b.data_ptr<at::BFloat16>()), ldb, 0.0f, c.data_ptr<float>(), ldc);
    else
#endif
      status = dnnl_sgemm(ta, tb, a.size(0), b.size(1), a.size(1), 1.0f, a.data_ptr<float>(), lda, b.data_ptr<float>(),
                          ldb, 0.0f, c.data_ptr<float>(), ldc);
    TORCH_CHECK(status == dnnl_success, "product: oneDNN's ", bf16 ? "bf16 gemm" : "sgemm", " failed with status ",
                int(status), " on ", a.sizes(), " x ", b.sizes());
    return;
  }
#endif
#if GAT_MM_OUT_DTYPE
  if (bf16 && c.is_cuda()) {
    at::mm_out(c, a, b, torch::kFloat);
    return;
  }
#endif
  // Products of bfloat16 values are exact in float32: mm of the operands widened back is the bf16
  // gemm's arithmetic.
  if (bf16)
    at::mm_out(c, a.to(torch::kFloat), b.to(torch::kFloat));
  else
    at::mm_out(c, a, b);
}

// An operand of kBf16's products: t's values rounded to bfloat16 (nearest even) in its own strides,
// detached; any other precision's operand is t itself.
torch::Tensor operand(const torch::Tensor& t, Precision precision) {
  return precision == Precision::kBf16 ? t.detach().to(torch::kBFloat16) : t;
}

// a · b, a [M, K] and b [K, P] in any strides and of one dtype, with kBf16 bfloat16 (operand()) into
// float32; the result's rows in one contiguous block per thread, each block one product_into on
// that thread alone. The operands are detached and gradients are off in every thread: the blocks are
// written in place (or through mm's out= form, which autograd refuses for inputs that require
// gradients), and the caller's autograd node stands for the whole. On CUDA it is one product.
torch::Tensor rows_product(const torch::Tensor& a, const torch::Tensor& b, Precision precision) {
  const torch::Tensor lhs = a.detach(), rhs = b.detach();
  torch::Tensor out = torch::empty({a.size(0), b.size(1)},
                                   precision == Precision::kBf16 ? a.options().dtype(torch::kFloat) : a.options());
  if (!a.is_cpu()) {
    const torch::NoGradGuard no_grad;
    product_into(out, lhs, rhs, precision);
    return out;
  }
  const int64_t rows = a.size(0), parts = std::min<int64_t>(at::get_num_threads(), rows);
  at::parallel_for(0, parts, 1, [&](int64_t p0, int64_t p1) {
    const torch::NoGradGuard no_grad;
    for (int64_t p = p0; p < p1; ++p) {
      const int64_t r0 = rows * p / parts, r1 = rows * (p + 1) / parts;
      torch::Tensor block = out.narrow(0, r0, r1 - r0);
      product_into(block, lhs.narrow(0, r0, r1 - r0), rhs, precision);
    }
  });
  return out;
}

// With kBf16, x and w are rounded once, in the forward, and saved so for the backward, which rounds
// dL/dout once for both its products: three passes of rounding a product, where rounding each
// operand of each of its three products took six (on a GPU, six launches).
class RowsSplitProduct : public torch::autograd::Function<RowsSplitProduct> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& w,
                               Precision precision) {
    const torch::Tensor a = operand(x, precision), b = operand(w, precision);
    ctx->save_for_backward({a, b});
    ctx->saved_data["precision"] = static_cast<int64_t>(precision);
    return rows_product(a, b.t(), precision);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor &x = saved[0], &w = saved[1];
    const auto precision = static_cast<Precision>(ctx->saved_data["precision"].toInt());
    const torch::Tensor g = operand(grads[0], precision);
    return {ctx->needs_input_grad(0) ? rows_product(g, w, precision) : torch::Tensor(),
            ctx->needs_input_grad(1) ? rows_product(g.t(), x, precision) : torch::Tensor(), torch::Tensor()};
  }
};

bool split_by_rows(const torch::Tensor& x, const torch::Tensor& w) {
  return x.is_cpu() && x.layout() == torch::kStrided &&
         double(x.size(0)) * double(x.size(1)) * double(w.size(0)) >= kSplitProductWork;
}

}  // namespace

torch::Tensor product(const torch::Tensor& a, const torch::Tensor& b) {
  TORCH_CHECK(a.dim() == 2 && b.dim() == 2 && a.size(1) == b.size(0), "product: a [M, K] and b [K, P], got ", a.sizes(),
              " and ", b.sizes());
  const torch::NoGradGuard no_grad;
  torch::Tensor c = torch::empty({a.size(0), b.size(1)}, a.options());
  product_into(c, a.detach(), b.detach(), Precision::kFp32);
  return c;
}

torch::Tensor times_weight(const torch::Tensor& x, const torch::Tensor& w, BelowSplit below, Precision precision) {
  TORCH_CHECK(x.dim() == 2 && w.dim() == 2 && x.size(1) == w.size(1), "times_weight: x [N, in] and w [out, in], got ",
              x.sizes(), " and ", w.sizes());
  if (precision == Precision::kBf16 && x.layout() == torch::kStrided) return RowsSplitProduct::apply(x, w, precision);
  if (split_by_rows(x, w)) return RowsSplitProduct::apply(x, w, Precision::kFp32);
  return torch::mm(x, below == BelowSplit::kTransposedCopy ? w.t().contiguous() : w.t());
}

bool bf16_products_run_natively() {
#if GAT_WITH_DNNL_BF16 && defined(__x86_64__) && defined(__GNUC__)
  static const bool native = __builtin_cpu_supports("avx512bf16");
  return native;
#else
  return false;
#endif
}

void use_precision(Precision precision, const torch::Device& device) {
  switch (precision) {
    case Precision::kFp32:
      return;
    case Precision::kTf32:
      if (!device.is_cuda())
        throw Error("train.precision: tf32 is for a GPU's cuBLAS (train.device: cuda); the CPU has no TF32, use fp32");
      at::globalContext().setAllowTF32CuBLAS(true);
      return;
    case Precision::kBf16:
      if (device.is_cuda()) {
        if (!GAT_MM_OUT_DTYPE)
          throw Error(
              "train.precision: bf16 on a GPU needs LibTorch 2.8 or later (mm's float32 results of bfloat16 "
              "operands); this build has " TORCH_VERSION ", use fp32 or tf32");
        return;
      }
      if (!bf16_products_run_natively())
        throw Error(std::string("train.precision: bf16 needs a CPU with AVX-512 BF16 and a build with oneDNN's bf16 "
                                "gemm (libdnnl-dev); here ") +
                    (GAT_WITH_DNNL_BF16 ? "the CPU has no AVX-512 BF16" : "the build has no oneDNN bf16 gemm") +
                    ", use fp32");
      return;
  }
}

}  // namespace gat::ops
