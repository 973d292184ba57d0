// sparse_features_product as a torch::autograd::Function over the CPU kernels of
// sparse_features_cpu.inc.
#include "ops/sparse_features.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "ops/cpu_capability.h"

namespace gat::ops {
namespace {

#define GAT_CPU_KERNELS "ops/sparse_features_cpu.inc"
#include "ops/cpu_builds.inc"
GAT_CPU_DISPATCH(rows_product)
GAT_CPU_DISPATCH(transposed_product)

// A coalesced COO matrix's parts: its row and column indices, its values, contiguous.
struct Stored {
  torch::Tensor indices, values;
  const int64_t* row() const { return indices.data_ptr<int64_t>(); }
  const int64_t* col() const { return indices.data_ptr<int64_t>() + indices.size(1); }
  int64_t nnz() const { return indices.size(1); }
};

Stored stored(const torch::Tensor& x) { return {x._indices().contiguous(), x._values().contiguous()}; }

class SparseFeaturesProduct : public torch::autograd::Function<SparseFeaturesProduct> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& weight) {
    ctx->saved_data["x"] = x;
    const Stored s = stored(x);
    const int64_t n = x.size(0), c = weight.size(0);
    // Row pointers from the ascending row indices: CSR without a copy of the columns or values.
    std::vector<int64_t> row_ptr(n + 1, 0);
    const int64_t* row = s.row();
    for (int64_t k = 0; k < s.nnz(); ++k) ++row_ptr[row[k] + 1];
    for (int64_t i = 0; i < n; ++i) row_ptr[i + 1] += row_ptr[i];
    const torch::Tensor wt = weight.detach().t().contiguous();  // [in, out]: a stored column's row
    torch::Tensor out = torch::empty({n, c}, weight.options());
    AT_DISPATCH_FLOATING_TYPES(weight.scalar_type(), "sparse_features_product", [&] {
      rows_product<scalar_t>(row_ptr.data(), s.col(), s.values.data_ptr<scalar_t>(), wt.data_ptr<scalar_t>(),
                             out.data_ptr<scalar_t>(), n, c);
    });
    return out;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const torch::Tensor x = ctx->saved_data["x"].toTensor();
    const Stored s = stored(x);
    const torch::Tensor g = grads[0].contiguous();
    const int64_t in = x.size(1), c = g.size(1);
    torch::Tensor dwt = torch::empty({in, c}, g.options());
    AT_DISPATCH_FLOATING_TYPES(g.scalar_type(), "sparse_features_product_backward", [&] {
      transposed_product<scalar_t>(s.row(), s.col(), s.values.data_ptr<scalar_t>(), s.nnz(), g.data_ptr<scalar_t>(),
                                   dwt.data_ptr<scalar_t>(), in, c);
    });
    return {torch::Tensor(), dwt.t()};
  }
};

}  // namespace

torch::Tensor sparse_features_product(const torch::Tensor& x, const torch::Tensor& weight) {
  TORCH_CHECK(x.is_sparse() && x.is_coalesced() && x.dim() == 2 && x.is_cpu(),
              "sparse_features_product: x must be a coalesced 2-D sparse COO matrix on the CPU");
  TORCH_CHECK(
      weight.dim() == 2 && weight.size(1) == x.size(1) && weight.is_cpu() && weight.scalar_type() == x.scalar_type() &&
          (weight.scalar_type() == torch::kFloat32 || weight.scalar_type() == torch::kFloat64),
      "sparse_features_product: weight must be [out, ", x.size(1), "] on the CPU, of x's dtype (", x.scalar_type(),
      ", float32 or float64), got ", weight.sizes(), " ", weight.scalar_type(), " on ", weight.device());
  TORCH_CHECK(!x.requires_grad(), "sparse_features_product: x is input data, not differentiated");
  return SparseFeaturesProduct::apply(x, weight);
}

}  // namespace gat::ops
