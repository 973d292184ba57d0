#include "ops/weight_product.h"

#include <ATen/Parallel.h>

#include <algorithm>

namespace gat::ops {
namespace {

// a · b, a [M, K] and b [K, P] in any strides, the result's rows in one contiguous block per thread.
// Inside a parallel region OpenBLAS runs on the calling thread alone. The operands are detached and
// gradients are off in every thread: the blocks are written through mm's out= form, which autograd
// refuses for inputs that require gradients, and the caller's autograd node stands for the whole.
torch::Tensor rows_product(const torch::Tensor& a, const torch::Tensor& b) {
  const torch::Tensor lhs = a.detach(), rhs = b.detach();
  torch::Tensor out = torch::empty({a.size(0), b.size(1)}, a.options());
  const int64_t rows = a.size(0), parts = std::min<int64_t>(at::get_num_threads(), rows);
  at::parallel_for(0, parts, 1, [&](int64_t p0, int64_t p1) {
    const torch::NoGradGuard no_grad;
    for (int64_t p = p0; p < p1; ++p) {
      const int64_t r0 = rows * p / parts, r1 = rows * (p + 1) / parts;
      torch::Tensor block = out.narrow(0, r0, r1 - r0);
      at::mm_out(block, lhs.narrow(0, r0, r1 - r0), rhs);
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
  return x.is_cpu() && x.layout() == torch::kStrided && at::get_num_threads() > 1 &&
         double(x.size(0)) * double(x.size(1)) * double(w.size(0)) >= kSplitProductWork;
}

}  // namespace

torch::Tensor times_weight(const torch::Tensor& x, const torch::Tensor& w, BelowSplit below) {
  TORCH_CHECK(x.dim() == 2 && w.dim() == 2 && x.size(1) == w.size(1), "times_weight: x [N, in] and w [out, in], got ",
              x.sizes(), " and ", w.sizes());
  if (split_by_rows(x, w)) return RowsSplitProduct::apply(x, w);
  return torch::mm(x, below == BelowSplit::kTransposedCopy ? w.t().contiguous() : w.t());
}

}  // namespace gat::ops
