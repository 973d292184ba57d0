// sparse_features_products as a torch::autograd::Function over the CPU kernels of
// sparse_features_cpu.inc.
#include "ops/sparse_features.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <utility>
#include <vector>

#include "common/thread_speeds.h"
#include "ops/cpu_capability.h"

namespace gat::ops {
namespace {

// One part of the product: its own [n, width] output (or gradient) and its first column in the
// product of all parts.
template <typename T>
struct Part {
  T* data;
  int64_t offset, width;
};

#define GAT_CPU_KERNELS "ops/sparse_features_cpu.inc"
#include "ops/cpu_builds.inc"
GAT_CPU_DISPATCH(rows_product)
GAT_CPU_DISPATCH(transposed_product)

// The stored elements of a coalesced COO matrix that are not zero, in stored order: rows, then
// columns ([2, capacity], the first nnz of each row used) and values. Dropout leaves what it drops
// stored as zeros (ops/dropout.h), 60 % of them at the citation configs' rate; they add nothing
// to a product, so the walks skip them, and the result is the same bits.
struct Stored {
  torch::Tensor indices, values;
  int64_t nnz;
  const int64_t* row() const { return indices.data_ptr<int64_t>(); }
  const int64_t* col() const { return indices.data_ptr<int64_t>() + indices.size(1); }
};

Stored stored(const torch::Tensor& x) {
  const torch::Tensor indices = x._indices().contiguous(), values = x._values().contiguous();
  const int64_t capacity = values.size(0);
  Stored s{torch::empty({2, capacity}, indices.options()), torch::empty({capacity}, values.options()), 0};
  AT_DISPATCH_FLOATING_TYPES(values.scalar_type(), "sparse_features_stored", [&] {
    const int64_t *row = indices.data_ptr<int64_t>(), *col = row + capacity;
    const scalar_t* value = values.data_ptr<scalar_t>();
    int64_t *kept_row = s.indices.data_ptr<int64_t>(), *kept_col = kept_row + capacity;
    scalar_t* kept_value = s.values.data_ptr<scalar_t>();
    for (int64_t k = 0; k < capacity; ++k) {  // written always, kept where not zero: no branch
      kept_row[s.nnz] = row[k];
      kept_col[s.nnz] = col[k];
      kept_value[s.nnz] = value[k];
      s.nnz += value[k] != 0;
    }
  });
  return s;
}

class SparseFeaturesProducts : public torch::autograd::Function<SparseFeaturesProducts> {
 public:
  static torch::autograd::variable_list forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                                                at::TensorList weights) {
    const Stored s = stored(x);
    const int64_t n = x.size(0);
    std::vector<int64_t> widths;
    for (const torch::Tensor& w : weights) widths.push_back(w.size(0));
    ctx->saved_data["indices"] = s.indices;
    ctx->saved_data["values"] = s.values;
    ctx->saved_data["nnz"] = s.nnz;
    ctx->saved_data["in"] = x.size(1);
    ctx->saved_data["widths"] = widths;
    // Row pointers from the ascending row indices: CSR without a copy of the columns or values.
    std::vector<int64_t> row_ptr(n + 1, 0);
    const int64_t* row = s.row();
    for (int64_t k = 0; k < s.nnz; ++k) ++row_ptr[row[k] + 1];
    for (int64_t i = 0; i < n; ++i) row_ptr[i + 1] += row_ptr[i];
    // All weights side by side, transposed: [in, sum of widths], a stored column's row.
    const torch::Tensor wt = torch::cat(weights, 0).detach().t().contiguous();
    torch::autograd::variable_list outs;
    for (const int64_t w : widths) outs.push_back(torch::empty({n, w}, wt.options()));
    AT_DISPATCH_FLOATING_TYPES(wt.scalar_type(), "sparse_features_products", [&] {
      std::vector<Part<scalar_t>> parts;
      int64_t offset = 0;
      for (torch::Tensor& out : outs) {
        parts.push_back({out.data_ptr<scalar_t>(), offset, out.size(1)});
        offset += out.size(1);
      }
      rows_product<scalar_t>(row_ptr.data(), s.col(), s.values.data_ptr<scalar_t>(), wt.data_ptr<scalar_t>(),
                             wt.size(1), parts, n);
    });
    return outs;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const Stored s{ctx->saved_data["indices"].toTensor(), ctx->saved_data["values"].toTensor(),
                   ctx->saved_data["nnz"].toInt()};
    const std::vector<int64_t> widths = ctx->saved_data["widths"].toIntVector();
    const int64_t in = ctx->saved_data["in"].toInt();
    int64_t c = 0;
    for (const int64_t w : widths) c += w;
    for (torch::Tensor& g : grads)
      if (g.defined()) g = g.contiguous();
    torch::Tensor dwt = torch::empty({in, c}, s.values.options());
    AT_DISPATCH_FLOATING_TYPES(dwt.scalar_type(), "sparse_features_products_backward", [&] {
      std::vector<Part<const scalar_t>> parts;  // an output that got no gradient adds nothing
      int64_t offset = 0;
      for (std::size_t p = 0; p < widths.size(); offset += widths[p], ++p)
        if (grads[p].defined()) parts.push_back({grads[p].data_ptr<scalar_t>(), offset, widths[p]});
      transposed_product<scalar_t>(s.row(), s.col(), s.values.data_ptr<scalar_t>(), s.nnz, parts,
                                   dwt.data_ptr<scalar_t>(), in, c);
    });
    // One entry per input: none for x, then each weight's gradient, its columns of dwt transposed.
    torch::autograd::variable_list result{torch::Tensor()};
    int64_t offset = 0;
    for (const int64_t w : widths) {
      result.push_back(dwt.narrow(1, offset, w).t());
      offset += w;
    }
    return result;
  }
};

}  // namespace

std::vector<torch::Tensor> sparse_features_products(const torch::Tensor& x, at::TensorList weights) {
  TORCH_CHECK(x.is_sparse() && x.is_coalesced() && x.dim() == 2 && x.is_cpu(),
              "sparse_features_products: x must be a coalesced 2-D sparse COO matrix on the CPU");
  TORCH_CHECK(!weights.empty(), "sparse_features_products: no weights");
  for (std::size_t p = 0; p < weights.size(); ++p) {
    const torch::Tensor& weight = weights[p];
    TORCH_CHECK(weight.dim() == 2 && weight.size(1) == x.size(1) && weight.is_cpu() &&
                    weight.scalar_type() == x.scalar_type() &&
                    (weight.scalar_type() == torch::kFloat32 || weight.scalar_type() == torch::kFloat64),
                "sparse_features_products: weight ", p, " must be [out, ", x.size(1), "] on the CPU, of x's dtype (",
                x.scalar_type(), ", float32 or float64), got ", weight.sizes(), " ", weight.scalar_type(), " on ",
                weight.device());
  }
  TORCH_CHECK(!x.requires_grad(), "sparse_features_products: x is input data, not differentiated");
  return SparseFeaturesProducts::apply(x, weights);
}

}  // namespace gat::ops
