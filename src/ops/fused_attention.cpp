// Forward and backward of the fused attention as a torch::autograd::Function.
//
// Forward, one CSR row (target i) at a time, for each head h:
//   s_k = score_src[j_k, h] + score_dst[i, h]; e_k = LeakyReLU(s_k)
//   alpha_k = exp(e_k - max e) / sum exp(e - max e)             (eq. 3)
//   out[i, h, :] = sum_k mask_k alpha_k Wh[j_k, h, :]            (eq. 4 before the nonlinearity)
// Backward, with g = dL/dout, in three passes so that the features are gathered only once:
//   pass 1, per source j (CSC): for each edge k = j -> i, gather g[i, h, :] once and use it twice:
//            d_k = mask_k <g[i, h, :], Wh[j, h, :]>                           (dL/dalpha_k)
//            dL/dWh[j, h, :] = sum_k mask_k alpha_k g[i, h, :]
//   pass 2, per target i (CSR), scalars only:
//            t_k = alpha_k (d_k - sum_k' alpha_k' d_k') LeakyReLU'(s_k)       (dL/ds_k)
//            dL/dscore_dst[i, h] = sum_k t_k
//   pass 3, per source j (CSC), scalars only: dL/dscore_src[j, h] = sum_k t_k
// Each pass writes only the rows it owns, so there are no atomics.
#include "ops/fused_attention.h"

#include <ATen/Parallel.h>

#if GAT_WITH_CUDA
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include "ops/fused_attention_cuda.h"
#endif

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <vector>

namespace gat::ops {
namespace {

// y += a * x over n elements; the compiler vectorises this loop.
template <typename T>
inline void axpy(T* __restrict y, const T* __restrict x, T a, int64_t n) {
  for (int64_t f = 0; f < n; ++f) y[f] += a * x[f];
}

// <a, b> with eight independent partial sums, so the loop vectorises without reassociating
// anything: the result depends only on n, never on threads.
template <typename T>
inline T dot(const T* __restrict a, const T* __restrict b, int64_t n) {
  T acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t f = 0;
  for (; f + 8 <= n; f += 8)
    for (int l = 0; l < 8; ++l) acc[l] += a[f + l] * b[f + l];
  T tail = 0;
  for (; f < n; ++f) tail += a[f] * b[f];
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7])) + tail;
}

// Runs body(row_begin, row_end) over rows 0..n-1 of a CSR-like ptr, cut into one contiguous
// range per thread holding about the same number of edges (hubs do not stall one thread).
template <typename Body>
void for_rows_balanced(const int64_t* ptr, int64_t n, const Body& body) {
  const int64_t parts = std::max<int64_t>(1, std::min<int64_t>(at::get_num_threads(), n));
  const int64_t edges = ptr[n];
  std::vector<int64_t> cut(parts + 1, n);
  cut[0] = 0;
  for (int64_t p = 1; p < parts; ++p)
    cut[p] = std::lower_bound(ptr, ptr + n, edges * p / parts) - ptr;
  at::parallel_for(0, parts, 1, [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) body(cut[p], std::max(cut[p], cut[p + 1]));
  });
}

// Asks for the row the next edge will read while this edge's row is being used: the rows of a
// graph's neighbours are scattered, so the hardware prefetcher cannot guess them.
template <typename T>
inline void prefetch_row(const T* row, int64_t n) {
  constexpr int64_t kLine = 64 / sizeof(T);
  for (int64_t f = 0; f < n; f += kLine) __builtin_prefetch(row + f);
}

template <typename T>
T leaky(T s, T slope) {
  return s > 0 ? s : s * slope;
}

struct Sizes {
  int64_t n, h, f;
};

// The feature loops walk one head's columns a tile at a time, every edge once per tile. The rows
// they gather are scattered over the whole graph, so what has to stay in cache is a graph's
// nodes x tile, not nodes x H x F: at 256 bytes a row a PPI graph (about 2,250 nodes) needs
// 0.6 MB, inside a core's L2, where its whole rows (4 KiB each) need 9 MB.
// docs/performance.md has the measurements behind the width.
template <typename T>
constexpr int64_t kTile = 256 / sizeof(T);  // a multiple of dot()'s 8 lanes

// Calls body(c, w) for each tile of head h's columns: c its first column in an H x F row, w its width.
template <typename Body>
void for_tiles(const Sizes& z, int64_t h, int64_t tile, const Body& body) {
  for (int64_t f0 = 0; f0 < z.f; f0 += tile) body(h * z.f + f0, std::min(tile, z.f - f0));
}

// The rows of x [N, H*F] rearranged so that each tile's columns of all N rows are contiguous:
// the tile starting at column c, w wide, is the [N, w] block at tiles + c * N. A gather then
// reads 256 bytes from a slab of N x 256 bytes instead of from a 4 KiB row of an N x 4 KiB
// array: with 4 KiB pages that is a different page for every row, and past a few thousand nodes
// the TLB no longer holds them (docs/performance.md). One streaming pass over x, in parallel.
template <typename T>
std::unique_ptr<T[]> to_tiles(const Sizes& z, const T* x) {
  const int64_t hf = z.h * z.f;
  std::unique_ptr<T[]> tiles(new T[z.n * hf]);
  at::parallel_for(0, z.n, 256, [&](int64_t j0, int64_t j1) {
    for (int64_t h = 0; h < z.h; ++h)
      for_tiles(z, h, kTile<T>, [&](int64_t c, int64_t w) {
        for (int64_t j = j0; j < j1; ++j) std::copy(x + j * hf + c, x + j * hf + c + w, tiles.get() + c * z.n + j * w);
      });
  });
  return tiles;
}

// How far ahead of the edge in use the next rows are asked for: a tile is a few cache lines, too
// little work per edge to hide a memory access behind one edge. 16 against 4, both threads busy:
// 5-9 % faster in each of 8 alternating runs at 1x and 8x a PPI graph's size; 32 is no better.
constexpr int64_t kPrefetchEdges = 16;

template <typename T>
void forward_kernel(const Sizes& z, const T* x, const T* ss, const T* sd, const T* mask, const int64_t* ptr,
                    const int64_t* src, T slope, T* alpha, T* out) {
  const int64_t hf = z.h * z.f;
  const std::unique_ptr<T[]> tiles = to_tiles(z, x);
  const T* x_tiles = tiles.get();
  for_rows_balanced(ptr, z.n, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      const int64_t k0 = ptr[i], k1 = ptr[i + 1];
      for (int64_t h = 0; h < z.h; ++h) {
        T max = -std::numeric_limits<T>::infinity();
        for (int64_t k = k0; k < k1; ++k) {
          const T e = leaky(ss[src[k] * z.h + h] + sd[i * z.h + h], slope);
          alpha[k * z.h + h] = e;
          max = std::max(max, e);
        }
        T sum = 0;
        for (int64_t k = k0; k < k1; ++k) sum += alpha[k * z.h + h] = std::exp(alpha[k * z.h + h] - max);
        for (int64_t k = k0; k < k1; ++k) alpha[k * z.h + h] /= sum;
      }
    }
    const int64_t k_end = ptr[i1];
    for (int64_t h = 0; h < z.h; ++h) {
      for_tiles(z, h, kTile<T>, [&](int64_t c, int64_t w) {
        const T* slab = x_tiles + c * z.n;
        for (int64_t i = i0; i < i1; ++i) {
          T* o = out + i * hf + c;
          std::fill(o, o + w, T(0));
          for (int64_t k = ptr[i]; k < ptr[i + 1]; ++k) {
            if (k + kPrefetchEdges < k_end) prefetch_row(slab + src[k + kPrefetchEdges] * w, w);
            const T a = mask ? alpha[k * z.h + h] * mask[k * z.h + h] : alpha[k * z.h + h];
            axpy(o, slab + src[k] * w, a, w);
          }
        }
      });
    }
  });
}

template <typename T>
void backward_kernel(const Sizes& z, const T* x, const T* ss, const T* sd, const T* mask, const T* alpha,
                     const T* g, const int64_t* target_ptr, const int64_t* src, const int64_t* dst,
                     const int64_t* source_ptr, const int64_t* by_source, T slope, T* t, T* gx, T* gss, T* gsd) {
  const int64_t hf = z.h * z.f;
  // Pass 1: per source, dL/dalpha into t [E, H] (summed over the tiles) and dL/dWh. The tile loops
  // walk every edge once per tile, so the edge scalars they need are first copied into source
  // order (one gather an edge) and streamed from there; t goes back to edge order once at the end.
  const int64_t num_edges = source_ptr[z.n];
  const std::unique_ptr<T[]> g_tiles = to_tiles(z, g);
  std::unique_ptr<int64_t[]> cs_target(new int64_t[num_edges]);
  std::unique_ptr<T[]> cs_mask(new T[mask ? num_edges * z.h : 0]), cs_coef(new T[num_edges * z.h]),
      cs_t(new T[num_edges * z.h]);
  for_rows_balanced(source_ptr, z.n, [&](int64_t j0, int64_t j1) {
    const int64_t p0 = source_ptr[j0], p1 = source_ptr[j1];
    for (int64_t p = p0; p < p1; ++p) {
      const int64_t k = by_source[p];
      cs_target[p] = dst[k];
      for (int64_t h = 0; h < z.h; ++h) {
        const T m = mask ? mask[k * z.h + h] : T(1);
        if (mask) cs_mask[p * z.h + h] = m;
        cs_coef[p * z.h + h] = m * alpha[k * z.h + h];
      }
    }
    for (int64_t h = 0; h < z.h; ++h) {
      for_tiles(z, h, kTile<T>, [&](int64_t c, int64_t w) {
        const bool first = c == h * z.f;
        const T* slab = g_tiles.get() + c * z.n;
        for (int64_t j = j0; j < j1; ++j) {
          const T* xj = x + j * hf + c;
          T* gxj = gx + j * hf + c;
          std::fill(gxj, gxj + w, T(0));
          for (int64_t p = source_ptr[j]; p < source_ptr[j + 1]; ++p) {
            if (p + kPrefetchEdges < p1) prefetch_row(slab + cs_target[p + kPrefetchEdges] * w, w);
            const T* gi = slab + cs_target[p] * w;
            const T d = mask ? cs_mask[p * z.h + h] * dot(gi, xj, w) : dot(gi, xj, w);
            T& tp = cs_t[p * z.h + h];
            tp = first ? d : tp + d;
            axpy(gxj, gi, cs_coef[p * z.h + h], w);
          }
        }
      });
    }
    for (int64_t p = p0; p < p1; ++p)
      std::copy(&cs_t[p * z.h], &cs_t[p * z.h] + z.h, t + by_source[p] * z.h);
  });
  // Pass 2: per target, the softmax and LeakyReLU backward in place, and dL/dscore_dst.
  for_rows_balanced(target_ptr, z.n, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      const int64_t k0 = target_ptr[i], k1 = target_ptr[i + 1];
      for (int64_t h = 0; h < z.h; ++h) {
        T weighted = 0;  // sum_k alpha_k d_k
        for (int64_t k = k0; k < k1; ++k) weighted += alpha[k * z.h + h] * t[k * z.h + h];
        T total = 0;
        for (int64_t k = k0; k < k1; ++k) {
          const T s = ss[src[k] * z.h + h] + sd[i * z.h + h];
          T& tk = t[k * z.h + h];
          tk = alpha[k * z.h + h] * (tk - weighted);
          if (!(s > 0)) tk *= slope;  // LeakyReLU'(s), as torch's leaky_relu_backward
          total += tk;
        }
        gsd[i * z.h + h] = total;
      }
    }
  });
  // Pass 3: per source, dL/dscore_src.
  for_rows_balanced(source_ptr, z.n, [&](int64_t j0, int64_t j1) {
    for (int64_t j = j0; j < j1; ++j) {
      T* gssj = gss + j * z.h;
      std::fill(gssj, gssj + z.h, T(0));
      for (int64_t p = source_ptr[j]; p < source_ptr[j + 1]; ++p)
        for (int64_t h = 0; h < z.h; ++h) gssj[h] += t[by_source[p] * z.h + h];
    }
  });
}

const int64_t* ptr64(const torch::Tensor& t) { return t.data_ptr<int64_t>(); }

constexpr bool kBuiltWithCuda = GAT_WITH_CUDA;

class FusedAttention : public torch::autograd::Function<FusedAttention> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& projected,
                               const torch::Tensor& score_src, const torch::Tensor& score_dst,
                               const c10::optional<torch::Tensor>& dropout_mask, const EdgePlan& plan,
                               double negative_slope) {
    const Sizes z{projected.size(0), projected.size(1), projected.size(2)};
    const torch::Tensor x = projected.contiguous(), ss = score_src.contiguous(), sd = score_dst.contiguous();
    torch::Tensor alpha = torch::empty({plan.num_edges(), z.h}, x.options());
    torch::Tensor out = torch::empty({z.n, z.h, z.f}, x.options());
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "fused_attention_forward", [&] {
      const scalar_t* mask = dropout_mask ? dropout_mask->data_ptr<scalar_t>() : nullptr;
      const auto slope = static_cast<scalar_t>(negative_slope);
#if GAT_WITH_CUDA
      if (x.is_cuda()) {
        const c10::cuda::CUDAGuard guard(x.device());
        cuda::fused_attention_forward<scalar_t>(z.n, z.h, z.f, x.data_ptr<scalar_t>(), ss.data_ptr<scalar_t>(),
                                                sd.data_ptr<scalar_t>(), mask, ptr64(plan.target_ptr),
                                                ptr64(plan.edge_index), slope, alpha.data_ptr<scalar_t>(),
                                                out.data_ptr<scalar_t>(), c10::cuda::getCurrentCUDAStream());
        return;
      }
#endif
      forward_kernel<scalar_t>(z, x.data_ptr<scalar_t>(), ss.data_ptr<scalar_t>(), sd.data_ptr<scalar_t>(), mask,
                               ptr64(plan.target_ptr), ptr64(plan.edge_index), slope, alpha.data_ptr<scalar_t>(),
                               out.data_ptr<scalar_t>());
    });
    ctx->save_for_backward({x, ss, sd, alpha});
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
    const torch::Tensor &x = saved[0], &ss = saved[1], &sd = saved[2], &alpha = saved[3];
    const torch::Tensor mask = ctx->saved_data.count("mask") ? ctx->saved_data["mask"].toTensor() : torch::Tensor();
    const torch::Tensor edge_index = ctx->saved_data["edge_index"].toTensor();
    const torch::Tensor target_ptr = ctx->saved_data["target_ptr"].toTensor();
    const torch::Tensor source_ptr = ctx->saved_data["source_ptr"].toTensor();
    const torch::Tensor by_source = ctx->saved_data["by_source"].toTensor();
    const double slope = ctx->saved_data["negative_slope"].toDouble();
    const Sizes z{x.size(0), x.size(1), x.size(2)};
    const int64_t num_edges = edge_index.size(1);
    const torch::Tensor g = grads[0].contiguous();
    torch::Tensor t = torch::empty({num_edges, z.h}, x.options());
    torch::Tensor gx = torch::empty_like(x), gss = torch::empty_like(ss), gsd = torch::empty_like(sd);
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "fused_attention_backward", [&] {
      const scalar_t* m = mask.defined() ? mask.data_ptr<scalar_t>() : nullptr;
#if GAT_WITH_CUDA
      if (x.is_cuda()) {
        const c10::cuda::CUDAGuard guard(x.device());
        cuda::fused_attention_backward<scalar_t>(
            z.n, num_edges, z.h, z.f, x.data_ptr<scalar_t>(), ss.data_ptr<scalar_t>(), sd.data_ptr<scalar_t>(), m,
            alpha.data_ptr<scalar_t>(), g.data_ptr<scalar_t>(), ptr64(target_ptr), ptr64(edge_index),
            ptr64(edge_index) + num_edges, ptr64(source_ptr), ptr64(by_source), static_cast<scalar_t>(slope),
            t.data_ptr<scalar_t>(), gx.data_ptr<scalar_t>(), gss.data_ptr<scalar_t>(), gsd.data_ptr<scalar_t>(),
            c10::cuda::getCurrentCUDAStream());
        return;
      }
#endif
      backward_kernel<scalar_t>(z, x.data_ptr<scalar_t>(), ss.data_ptr<scalar_t>(), sd.data_ptr<scalar_t>(), m,
                                alpha.data_ptr<scalar_t>(), g.data_ptr<scalar_t>(), ptr64(target_ptr),
                                ptr64(edge_index), ptr64(edge_index) + num_edges, ptr64(source_ptr),
                                ptr64(by_source), static_cast<scalar_t>(slope), t.data_ptr<scalar_t>(),
                                gx.data_ptr<scalar_t>(), gss.data_ptr<scalar_t>(), gsd.data_ptr<scalar_t>());
    });
    // One entry per forward argument: mask, plan and slope get none.
    return {gx, gss, gsd, torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor fused_attention(const torch::Tensor& projected, const torch::Tensor& score_src,
                              const torch::Tensor& score_dst, const EdgePlan& plan, double negative_slope,
                              const torch::Tensor& dropout_mask) {
  const int64_t n = plan.num_nodes, h = projected.size(1);
  TORCH_CHECK(projected.dim() == 3 && projected.size(0) == n,
              "fused_attention: projected must be [", n, ", H, F], got ", projected.sizes());
  TORCH_CHECK(projected.is_cpu() || (kBuiltWithCuda && projected.is_cuda()),
              "fused_attention: projected is on ", projected.device(), "; this build runs the kernel on ",
              kBuiltWithCuda ? "CPU and CUDA" : "the CPU only");
  for (const torch::Tensor* t : {&score_src, &score_dst, &plan.edge_index, &plan.target_ptr, &plan.source_ptr,
                                 &plan.by_source})
    TORCH_CHECK(t->device() == projected.device(), "fused_attention: scores and edge plan must be on ",
                projected.device(), ", one is on ", t->device());
  TORCH_CHECK(score_src.sizes() == torch::IntArrayRef({n, h}) && score_dst.sizes() == torch::IntArrayRef({n, h}),
              "fused_attention: scores must be [", n, ", ", h, "]");
  TORCH_CHECK(score_src.scalar_type() == projected.scalar_type() && score_dst.scalar_type() == projected.scalar_type(),
              "fused_attention: projected and scores must share one dtype");
  TORCH_CHECK(!dropout_mask.defined() ||
                  (dropout_mask.sizes() == torch::IntArrayRef({plan.num_edges(), h}) &&
                   dropout_mask.scalar_type() == projected.scalar_type() && dropout_mask.is_contiguous()),
              "fused_attention: dropout_mask must be contiguous [E, H] of the projected dtype");
  // The mask goes in as an optional: autograd's argument handling wants every Tensor defined.
  const c10::optional<torch::Tensor> mask = dropout_mask.defined() ? c10::make_optional(dropout_mask) : c10::nullopt;
  return FusedAttention::apply(projected, score_src, score_dst, mask, plan, negative_slope);
}

}  // namespace gat::ops
