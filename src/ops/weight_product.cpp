#include "ops/weight_product.h"

#include <ATen/Parallel.h>

#if GAT_WITH_DNNL
#include <oneapi/dnnl/dnnl.h>
#endif

#include <algorithm>

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

// c = a · b into a contiguous c, as product() says.
void product_into(torch::Tensor& c, const torch::Tensor& a, const torch::Tensor& b) {
#if GAT_WITH_DNNL
  char ta, tb;
  int64_t lda, ldb;
  // Empty operands go to mm too, which writes the zeros an empty sum makes.
  if (a.is_cpu() && b.is_cpu() && a.scalar_type() == torch::kFloat && b.scalar_type() == torch::kFloat &&
      c.scalar_type() == torch::kFloat && c.is_contiguous() && a.numel() > 0 && b.numel() > 0 &&
      dnnl_layout(a, ta, lda) && dnnl_layout(b, tb, ldb)) {
    const dnnl_status_t status =
        dnnl_sgemm(ta, tb, a.size(0), b.size(1), a.size(1), 1.0f, a.data_ptr<float>(), lda, b.data_ptr<float>(), ldb,
                   0.0f, c.data_ptr<float>(), std::max<int64_t>(c.size(1), 1));
    TORCH_CHECK(status == dnnl_success, "product: oneDNN's sgemm failed with status ", int(status), " on ", a.sizes(),
                " x ", b.sizes());
    return;
  }
#endif
  at::mm_out(c, a, b);
}

// a · b, a [M, K] and b [K, P] in any strides, the result's rows in one contiguous block per thread,
// each block one product_into on that thread alone. The operands are detached and gradients are off
// in every thread: the blocks are written in place (or through mm's out= form, which autograd refuses
// for inputs that require gradients), and the caller's autograd node stands for the whole.
torch::Tensor rows_product(const torch::Tensor& a, const torch::Tensor& b) {
  const torch::Tensor lhs = a.detach(), rhs = b.detach();
  torch::Tensor out = torch::empty({a.size(0), b.size(1)}, a.options());
  const int64_t rows = a.size(0), parts = std::min<int64_t>(at::get_num_threads(), rows);
  at::parallel_for(0, parts, 1, [&](int64_t p0, int64_t p1) {
    const torch::NoGradGuard no_grad;
    for (int64_t p = p0; p < p1; ++p) {
      const int64_t r0 = rows * p / parts, r1 = rows * (p + 1) / parts;
      torch::Tensor block = out.narrow(0, r0, r1 - r0);
      product_into(block, lhs.narrow(0, r0, r1 - r0), rhs);
    }
  });
  return out;
}

class RowsSplitProduct : public torch::autograd::Function<RowsSplitProduct> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& w) {
    ctx->save_for_backward({x, w});
    return rows_product(x, w.t());
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor &x = saved[0], &w = saved[1], &g = grads[0];
    return {ctx->needs_input_grad(0) ? rows_product(g, w) : torch::Tensor(),
            ctx->needs_input_grad(1) ? rows_product(g.t(), x) : torch::Tensor()};
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
  product_into(c, a.detach(), b.detach());
  return c;
}

torch::Tensor times_weight(const torch::Tensor& x, const torch::Tensor& w, BelowSplit below) {
  TORCH_CHECK(x.dim() == 2 && w.dim() == 2 && x.size(1) == w.size(1), "times_weight: x [N, in] and w [out, in], got ",
              x.sizes(), " and ", w.sizes());
  if (split_by_rows(x, w)) return RowsSplitProduct::apply(x, w);
  return torch::mm(x, below == BelowSplit::kTransposedCopy ? w.t().contiguous() : w.t());
}

}  // namespace gat::ops
