// Forward and backward of the fused attention as a torch::autograd::Function.
//
// scores [N, H, 2] holds each node's score as a source ([..., 0]) and as a target ([..., 1]).
// Forward, one CSR row (target i) at a time, for each head h:
//   s_k = scores[j_k, h, 0] + scores[i, h, 1]; e_k = LeakyReLU(s_k)
//   alpha_k = exp(e_k - max e) / sum exp(e - max e)             (eq. 3)
//   out[i, h, :] = sum_k mask_k alpha_k Wh[j_k, h, :]            (eq. 4 before the nonlinearity)
// Backward, with g = dL/dout, in three passes so that the features are gathered only once:
//   pass 1, per source j (CSC): for each edge k = j -> i, gather g[i, h, :] once and use it twice:
//            d_k = mask_k <g[i, h, :], Wh[j, h, :]>                           (dL/dalpha_k)
//            dL/dWh[j, h, :] = sum_k mask_k alpha_k g[i, h, :]
//   pass 2, per target i (CSR), scalars only:
//            t_k = alpha_k (d_k - sum_k' alpha_k' d_k') LeakyReLU'(s_k)       (dL/ds_k)
//            dL/dscores[i, h, 1] = sum_k t_k
//   pass 3, per source j (CSC), scalars only: dL/dscores[j, h, 0] = sum_k t_k
// Each pass writes only the rows it owns, so there are no atomics.
// The layer's epilogue (ops/epilogue.h) is done in the forward's output writes; its backward on the
// CPU in the pass that lays g out for pass 1 (gradient_tiles), on a GPU in one pass before pass 1.
#include "ops/fused_attention.h"

#include <ATen/Parallel.h>

#if GAT_WITH_CUDA
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include "ops/fused_attention_cuda.h"
#endif

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/error.h"
#include "common/thread_speeds.h"
#include "ops/cpu_capability.h"
#include "ops/weight_product.h"

namespace gat::ops {
namespace {

struct Sizes {
  int64_t n, h, f;
};

// The kernels, for the x86-64 baseline and for AVX2.
#define GAT_CPU_KERNELS "ops/fused_attention_cpu.inc"
#include "ops/cpu_builds.inc"
GAT_CPU_DISPATCH(forward_kernel)
GAT_CPU_DISPATCH(backward_kernel)

const int64_t* ptr64(const torch::Tensor& t) { return t.data_ptr<int64_t>(); }

constexpr bool kBuiltWithCuda = GAT_WITH_CUDA;

#if GAT_WITH_CUDA
// Calls launch(Wh's data as the CUDA kernels read it): T, or __nv_bfloat16 where Wh was rounded to
// bfloat16 for them and T is float (FusedAttention's bf16_reads).
template <typename T, typename Launch>
void with_projected(const torch::Tensor& x, Launch launch) {
  if constexpr (std::is_same_v<T, float>) {
    if (x.scalar_type() == torch::kBFloat16)
      return launch(reinterpret_cast<const __nv_bfloat16*>(x.data_ptr<at::BFloat16>()));
  }
  launch(x.data_ptr<T>());
}
#endif

class FusedAttention : public torch::autograd::Function<FusedAttention> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& projected,
                               const torch::Tensor& scores, const c10::optional<torch::Tensor>& dropout_mask,
                               const c10::optional<torch::Tensor>& addend, const c10::optional<torch::Tensor>& bias,
                               const EdgePlan& plan, double negative_slope, bool elu, bool bf16_reads) {
    const Sizes z{projected.size(0), projected.size(1), projected.size(2)};
    // The kernels read Wh's rows where they lie, any distance apart: GATConv's one product leaves Wh
    // as the first columns of wider rows, which a copy would stream through once more (on a GPU, a
    // launch more in each layer's forward). With bf16_reads they read a bfloat16 copy, made here and
    // kept for the backward, so that Wh's gradient leaves in float32 with no cast either way.
    const bool rows_as_they_lie = projected.stride(2) == 1 && projected.stride(1) == z.f;
    const torch::Tensor x = bf16_reads         ? projected.detach().to(torch::kBFloat16)
                            : rows_as_they_lie ? projected
                                               : projected.contiguous(),
                        s = scores.contiguous();
    torch::Tensor alpha = torch::empty({plan.num_edges(), z.h}, s.options());
    torch::Tensor out = torch::empty({z.n, z.h * z.f}, s.options());
    AT_DISPATCH_FLOATING_TYPES(s.scalar_type(), "fused_attention_forward", [&] {
      const scalar_t* mask = dropout_mask ? dropout_mask->data_ptr<scalar_t>() : nullptr;
      const auto slope = static_cast<scalar_t>(negative_slope);
      const scalar_t* ss = s.data_ptr<scalar_t>();
      const scalar_t* sd = ss + 1;
      const scalar_t* addend_rows = addend ? addend->data_ptr<scalar_t>() : nullptr;
      const scalar_t* bias_row = bias ? bias->data_ptr<scalar_t>() : nullptr;
#if GAT_WITH_CUDA
      if (x.is_cuda()) {
        const c10::cuda::CUDAGuard guard(x.device());
        with_projected<scalar_t>(x, [&](const auto* wh) {
          cuda::fused_attention_forward<scalar_t>(z.n, z.h, z.f, wh, x.stride(0), ss, sd, mask, ptr64(plan.target_ptr),
                                                  ptr64(plan.edge_index), slope, {addend_rows, bias_row, elu},
                                                  alpha.data_ptr<scalar_t>(), out.data_ptr<scalar_t>(),
                                                  c10::cuda::getCurrentCUDAStream());
        });
        return;
      }
#endif
      forward_kernel<scalar_t>(z, x.data_ptr<scalar_t>(), x.stride(0), ss, sd, mask, ptr64(plan.target_ptr),
                               ptr64(plan.edge_index), slope, addend_rows, bias_row, elu, alpha.data_ptr<scalar_t>(),
                               out.data_ptr<scalar_t>());
    });
    // ELU's backward reads its output, as torch's does.
    ctx->save_for_backward(elu ? torch::autograd::variable_list{x, s, alpha, out}
                               : torch::autograd::variable_list{x, s, alpha});
    ctx->saved_data["addend"] = addend.has_value();
    ctx->saved_data["bias"] = bias.has_value();
    if (dropout_mask) ctx->saved_data["mask"] = *dropout_mask;
    ctx->saved_data["edge_index"] = plan.edge_index;
    ctx->saved_data["target_ptr"] = plan.target_ptr;
    ctx->saved_data["source_ptr"] = plan.source_ptr;
    ctx->saved_data["by_source"] = plan.by_source;
    ctx->saved_data["negative_slope"] = negative_slope;
    return out;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor &x = saved[0], &s = saved[1], &alpha = saved[2];
    const torch::Tensor out = saved.size() > 3 ? saved[3] : torch::Tensor();
    const bool with_addend = ctx->saved_data["addend"].toBool(), with_bias = ctx->saved_data["bias"].toBool();
    const torch::Tensor mask = ctx->saved_data.count("mask") ? ctx->saved_data["mask"].toTensor() : torch::Tensor();
    const torch::Tensor edge_index = ctx->saved_data["edge_index"].toTensor();
    const torch::Tensor target_ptr = ctx->saved_data["target_ptr"].toTensor();
    const torch::Tensor source_ptr = ctx->saved_data["source_ptr"].toTensor();
    const torch::Tensor by_source = ctx->saved_data["by_source"].toTensor();
    const double slope = ctx->saved_data["negative_slope"].toDouble();
    const Sizes z{x.size(0), x.size(1), x.size(2)};
    const int64_t num_edges = edge_index.size(1);
    const torch::Tensor g = grads[0].contiguous();
    torch::Tensor t = torch::empty({num_edges, z.h}, s.options());
    torch::Tensor gx = torch::empty({z.n, z.h, z.f}, s.options()), gs = torch::empty_like(s);
    // Through ELU the addend's gradient is dL/d(the sum), written by the kernel; without it, g itself.
    const torch::Tensor g_addend = !with_addend ? torch::Tensor() : out.defined() ? torch::empty_like(g) : g;
    const torch::Tensor g_bias = with_bias ? torch::empty({g.size(1)}, g.options()) : torch::Tensor();
    AT_DISPATCH_FLOATING_TYPES(s.scalar_type(), "fused_attention_backward", [&] {
      const scalar_t* m = mask.defined() ? mask.data_ptr<scalar_t>() : nullptr;
      const scalar_t* ss = s.data_ptr<scalar_t>();
      scalar_t* gss = gs.data_ptr<scalar_t>();
#if GAT_WITH_CUDA
      if (x.is_cuda()) {
        const c10::cuda::CUDAGuard guard(x.device());
        // Through ELU the kernels need somewhere to put dL/d(the sum): the addend's gradient, or scratch.
        const torch::Tensor g_pre = !out.defined() ? torch::Tensor() : with_addend ? g_addend : torch::empty_like(g);
        const torch::Tensor partials =
            with_bias ? torch::empty({cuda::bias_gradient_blocks(z.n), g.size(1)}, g.options().dtype(torch::kFloat64))
                      : torch::Tensor();
        const cuda::EpilogueGradients<scalar_t> epilogue{
            out.defined() ? out.data_ptr<scalar_t>() : nullptr, g_pre.defined() ? g_pre.data_ptr<scalar_t>() : nullptr,
            with_bias ? g_bias.data_ptr<scalar_t>() : nullptr, with_bias ? partials.data_ptr<double>() : nullptr};
        with_projected<scalar_t>(x, [&](const auto* wh) {
          cuda::fused_attention_backward<scalar_t>(
              z.n, num_edges, z.h, z.f, wh, x.stride(0), ss, ss + 1, m, alpha.data_ptr<scalar_t>(),
              g.data_ptr<scalar_t>(), ptr64(target_ptr), ptr64(edge_index), ptr64(edge_index) + num_edges,
              ptr64(source_ptr), ptr64(by_source), static_cast<scalar_t>(slope), epilogue, t.data_ptr<scalar_t>(),
              gx.data_ptr<scalar_t>(), gss, gss + 1, c10::cuda::getCurrentCUDAStream());
        });
        return;
      }
#endif
      backward_kernel<scalar_t>(z, x.data_ptr<scalar_t>(), x.stride(0), ss, ss + 1, m, alpha.data_ptr<scalar_t>(),
                                g.data_ptr<scalar_t>(), out.defined() ? out.data_ptr<scalar_t>() : nullptr,
                                out.defined() && with_addend ? g_addend.data_ptr<scalar_t>() : nullptr,
                                with_bias ? g_bias.data_ptr<scalar_t>() : nullptr, ptr64(target_ptr), ptr64(edge_index),
                                ptr64(edge_index) + num_edges, ptr64(source_ptr), ptr64(by_source),
                                static_cast<scalar_t>(slope), t.data_ptr<scalar_t>(), gx.data_ptr<scalar_t>(), gss,
                                gss + 1);
    });
    // One entry per forward argument: mask, plan, slope, elu and bf16_reads get none.
    return {
        gx, gs, torch::Tensor(), g_addend, g_bias, torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor fused_attention(const torch::Tensor& projected, const torch::Tensor& scores, const EdgePlan& plan,
                              double negative_slope, const torch::Tensor& dropout_mask, const Epilogue& epilogue,
                              Precision precision) {
  const int64_t n = plan.num_nodes, h = projected.size(1);
  TORCH_CHECK(projected.dim() == 3 && projected.size(0) == n, "fused_attention: projected must be [", n,
              ", H, F], got ", projected.sizes());
  TORCH_CHECK(projected.is_cpu() || (kBuiltWithCuda && projected.is_cuda()), "fused_attention: projected is on ",
              projected.device(), "; this build runs the kernel on ", kBuiltWithCuda ? "CPU and CUDA" : "the CPU only");
  for (const torch::Tensor* t : {&scores, &plan.edge_index, &plan.target_ptr, &plan.source_ptr, &plan.by_source})
    TORCH_CHECK(t->device() == projected.device(), "fused_attention: scores and edge plan must be on ",
                projected.device(), ", one is on ", t->device());
  TORCH_CHECK(scores.sizes() == torch::IntArrayRef({n, h, 2}), "fused_attention: scores must be [", n, ", ", h,
              ", 2], got ", scores.sizes());
  const torch::ScalarType dtype = scores.scalar_type();
  TORCH_CHECK(projected.scalar_type() == dtype, "fused_attention: projected must be of the scores' dtype; got ",
              projected.scalar_type(), " projected and ", dtype, " scores");
  TORCH_CHECK(!dropout_mask.defined() || (dropout_mask.sizes() == torch::IntArrayRef({plan.num_edges(), h}) &&
                                          dropout_mask.scalar_type() == dtype && dropout_mask.is_contiguous()),
              "fused_attention: dropout_mask must be contiguous [E, H] of the scores' dtype");
  // Optionals: autograd's argument handling wants every Tensor defined.
  auto given = [](const torch::Tensor& t) { return t.defined() ? c10::make_optional(t) : c10::nullopt; };
  const c10::optional<torch::Tensor> mask = given(dropout_mask);
  const int64_t width = h * projected.size(2);
  torch::Tensor addend;
  if (epilogue.residual.defined()) {
    const torch::Tensor& input = epilogue.residual;
    // cuBLAS takes the transposed weight as it lies; the copy pays only for CPU BLAS (BelowSplit).
    const BelowSplit below = projected.is_cuda() ? BelowSplit::kTransposedView : BelowSplit::kTransposedCopy;
    if (epilogue.residual_weight.defined())
      addend = times_weight(input, epilogue.residual_weight, below, epilogue.precision);
    else
      addend = input.is_sparse() ? input.to_dense() : input.contiguous();
    TORCH_CHECK(addend.sizes() == torch::IntArrayRef({n, width}) && addend.scalar_type() == dtype,
                "fused_attention: the residual must come to [", n, ", ", width, "] of the scores' dtype, got ",
                addend.sizes(), " ", addend.scalar_type());
  }
  const torch::Tensor& bias = epilogue.bias;
  // The kernels read them by pointer, where a tensor elsewhere would be read as garbage.
  for (const torch::Tensor* t : std::initializer_list<const torch::Tensor*>{&dropout_mask, &addend, &bias})
    TORCH_CHECK(!t->defined() || t->device() == projected.device(),
                "fused_attention: the dropout mask, residual and bias must be on ", projected.device(), ", one is on ",
                t->device());
  TORCH_CHECK(!bias.defined() ||
                  (bias.sizes() == torch::IntArrayRef({width}) && bias.scalar_type() == dtype && bias.is_contiguous()),
              "fused_attention: the bias must be contiguous [", width, "] of the scores' dtype, got ",
              bias.defined() ? bias.sizes() : torch::IntArrayRef{});
  const bool bf16_reads = precision == Precision::kBf16 && projected.is_cuda() && dtype == torch::kFloat;
  return FusedAttention::apply(projected, scores, mask, given(addend), given(bias), plan, negative_slope, epilogue.elu,
                               bf16_reads);
}

}  // namespace gat::ops
