// Fused GAT attention on the GPU: the passes of the CPU kernel (ops/fused_attention.cpp, whose
// header comment gives the equations) over the same CSR/CSC plan, with warps and blocks where the
// CPU has threads over rows.
//
//   forward   softmax_kernel     one warp per (target, head): online max and sum of exp over the
//                                target's edges (eq. 3), then alpha per edge
//             aggregate          one block per target: out[i, :] = sum_k mask_k alpha_k Wh[j_k, :]
//                                (eq. 4), each thread owning columns, edges in CSR order; the layer's
//                                epilogue (ELU of the sum, the residual and the bias) in its writes
//   backward  epilogue_backward  where there is an epilogue: g through ELU, and the bias gradient's
//                                column sums by blocks of rows, then bias_gradient adds the blocks
//             edge_dot_kernel    one warp per edge: d_k = mask_k <g[i, h, :], Wh[j, h, :]>
//             aggregate          one block per source, over its CSC edges: dL/dWh[j, :]
//             softmax_backward   one warp per (target, head): t_k and dL/dscore_dst
//             source_score_grad  one thread per (source, head): dL/dscore_src
// Every output element is summed by one thread or one warp in a fixed order: no atomics, and the
// same inputs give bitwise the same outputs on every run.
// In float32, aggregate runs as aggregate_staged_kernel (a row's edges staged in shared memory,
// features read 4 or 2 floats at a time where rows allow), and edge_dot reads float4s where heads
// are whole quads: the scalar forms were bound by their load, weight and index instructions (on an
// H100 a PPI-sized layer's aggregate took 0.27-0.36 ms, now 0.11-0.19 ms; docs/gpu.md).
// Wh may be read in bfloat16 (X = __nv_bfloat16, T = float): the same kernels and sums, its rows
// loaded 4 or 2 values (8 or 4 bytes) at a time and widened to float32, halving the bytes that the
// aggregate and edge_dot gather.
#include "ops/fused_attention_cuda.h"

#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace gat::ops::cuda {
namespace {

// Every CUDA call and launch is checked; the error names the call and CUDA's reason.
#define CUDA_CHECK(call)                                                                                      \
  do {                                                                                                        \
    const cudaError_t cuda_rc = (call);                                                                       \
    if (cuda_rc != cudaSuccess)                                                                               \
      throw std::runtime_error(std::string(#call) + " failed (" + __FILE__ + ":" + std::to_string(__LINE__) + \
                               "): " + cudaGetErrorString(cuda_rc));                                          \
  } while (0)

constexpr int kWarp = 32;
constexpr unsigned kAllLanes = 0xffffffffu;
constexpr int kThreads = 256;         // per block, for the warp and thread kernels
constexpr int kColumnThreads = 128;   // per block of aggregate_kernel, at most
constexpr int kColumnsPerThread = 8;  // so one pass of a block covers 1,024 columns (H x F of PPI)
constexpr int kEdgeChunk = 32;        // edges a block of aggregate_staged_kernel stages at a time
constexpr int kMaxStagedHeads = 8;    // heads it has room for; more take aggregate_kernel

// Butterfly reductions: every lane ends with the same bits, since each step adds the same two
// values on both lanes of a pair.
template <typename T>
__device__ T warp_sum(T v) {
  for (int o = kWarp / 2; o > 0; o >>= 1) v += __shfl_xor_sync(kAllLanes, v, o);
  return v;
}

template <typename T>
__device__ T warp_max(T v) {
  for (int o = kWarp / 2; o > 0; o >>= 1) {
    const T w = __shfl_xor_sync(kAllLanes, v, o);
    v = w > v ? w : v;
  }
  return v;
}

template <typename T>
__device__ T leaky(T s, T slope) {
  return s > T(0) ? s : s * slope;
}

// What the aggregate writes to out[row, c] (index `at` of [N, C]): the sum, plus the addend and the
// bias where given, in the order of ops::apply_epilogue, then ELU (alpha 1) if asked.
template <typename T>
__device__ T finish(T sum, const Epilogue<T>& e, int64_t at, int64_t c) {
  if (e.addend) sum += e.addend[at];
  if (e.bias) sum += e.bias[c];
  return e.elu && !(sum > T(0)) ? expm1(sum) : sum;
}

// A value of Wh as the kernels compute with it: bfloat16 widened to float32, where eq. 4's sums and
// the edge dots stay; float32 and float64 as they are.
__device__ float widen(__nv_bfloat16 v) { return __bfloat162float(v); }
__device__ float widen(float v) { return v; }
__device__ double widen(double v) { return v; }

// Where node j's score of head `head` sits in a scores tensor [N, H, 2] (fused_attention_cuda.h).
__device__ int64_t score_at(int64_t h, int64_t j, int64_t head) { return 2 * (j * h + head); }

// Index of this thread's warp in the grid, and its lane.
__device__ int64_t warp_index() { return (int64_t(blockIdx.x) * blockDim.x + threadIdx.x) / kWarp; }
__device__ int lane_index() { return threadIdx.x % kWarp; }

template <typename T>
__global__ void softmax_kernel(int64_t n, int64_t h, const T* ss, const T* sd, const int64_t* ptr, const int64_t* src,
                               T slope, T* alpha) {
  const int64_t w = warp_index();
  if (w >= n * h) return;  // w is the same on all lanes: whole warps leave together
  const int lane = lane_index();
  const int64_t i = w / h, head = w % h, k0 = ptr[i], k1 = ptr[i + 1];
  const T dst_score = sd[score_at(h, i, head)];
  // Online softmax: each lane keeps the max m of its edges' scores and sum of exp(e - m).
  T m = T(-INFINITY), s = 0;
  for (int64_t k = k0 + lane; k < k1; k += kWarp) {
    const T e = leaky(ss[score_at(h, src[k], head)] + dst_score, slope);
    if (e > m) {
      s = s * exp(m - e) + T(1);
      m = e;
    } else {
      s += exp(e - m);
    }
  }
  const T max = warp_max(m);
  if (max == T(-INFINITY)) return;           // no incoming edges
  const T sum = warp_sum(s * exp(m - max));  // a lane without edges adds 0 * exp(-inf) = 0
  for (int64_t k = k0 + lane; k < k1; k += kWarp)
    alpha[k * h + head] = exp(leaky(ss[score_at(h, src[k], head)] + dst_score, slope) - max) / sum;
}

// out[r, c] = sum over row r's columns p (edge k = perm ? perm[p] : p) of
// mask_k,h(c) alpha_k,h(c) feat[nbr[k], c], with h(c) = c / f and feat's rows feat_ld apart. The
// forward pass runs it over the CSR rows with feat = Wh; the backward over the CSC rows with
// feat = dL/dout.
template <typename T, typename In, int R>
__global__ void aggregate_kernel(int64_t h, int64_t f, const In* feat, int64_t feat_ld, const T* alpha, const T* mask,
                                 const int64_t* ptr, const int64_t* perm, const int64_t* nbr, Epilogue<T> epilogue,
                                 T* out) {
  const int64_t row = blockIdx.x, hf = h * f, p0 = ptr[row], p1 = ptr[row + 1];
  for (int64_t base = 0; base < hf; base += int64_t(blockDim.x) * R) {
    T acc[R];
    int64_t head[R];
#pragma unroll
    for (int r = 0; r < R; ++r) {
      const int64_t c = base + threadIdx.x + int64_t(r) * blockDim.x;
      acc[r] = 0;
      head[r] = c < hf ? c / f : 0;
    }
#pragma unroll 4
    for (int64_t p = p0; p < p1; ++p) {
      const int64_t k = perm ? perm[p] : p;
      const In* in = feat + nbr[k] * feat_ld;
#pragma unroll
      for (int r = 0; r < R; ++r) {
        const int64_t c = base + threadIdx.x + int64_t(r) * blockDim.x;
        if (c < hf) {
          const int64_t kh = k * h + head[r];
          const T a = mask ? alpha[kh] * mask[kh] : alpha[kh];
          acc[r] += a * widen(in[c]);
        }
      }
    }
#pragma unroll
    for (int r = 0; r < R; ++r) {
      const int64_t c = base + threadIdx.x + int64_t(r) * blockDim.x;
      if (c < hf) out[row * hf + c] = finish(acc[r], epilogue, row * hf + c, c);
    }
  }
}

// V adjacent values of E in one load: float32 as a float4 or float2, bfloat16 as 8 or 4 bytes.
template <int V>
struct alignas(2 * V) Bfloat16s {
  __nv_bfloat16 v[V];
};
template <typename E, int V>
struct Loads {
  static_assert(V == 1, "no wider loads of this type");
  using type = E;
};
template <>
struct Loads<float, 4> {
  using type = float4;
};
template <>
struct Loads<float, 2> {
  using type = float2;
};
template <int V>
struct Loads<__nv_bfloat16, V> {
  using type = std::conditional_t<V == 1, __nv_bfloat16, Bfloat16s<V>>;
};

// Value i of a load, in float32.
__device__ float component(const float4& v, int i) { return i == 0 ? v.x : i == 1 ? v.y : i == 2 ? v.z : v.w; }
__device__ float component(const float2& v, int i) { return i == 0 ? v.x : v.y; }
__device__ float component(float v, int) { return v; }
__device__ float component(__nv_bfloat16 v, int) { return widen(v); }
template <int V>
__device__ float component(const Bfloat16s<V>& v, int i) {
  return widen(v.v[i]);
}

// aggregate_kernel for float32 sums (of float32 or bfloat16 features) with the row's edges staged
// in shared memory, kEdgeChunk at a time: each edge's neighbour and weights (mask_k alpha_k for
// every head) are loaded once per block rather than by every thread for every column, and each
// thread reads its R groups of V adjacent columns as one load each (a group may span two heads:
// each column keeps its own head). Same sums in the same order as aggregate_kernel.
template <typename In, int V, int R>
__global__ void aggregate_staged_kernel(int64_t h, int64_t f, const In* feat, int64_t feat_ld, const float* alpha,
                                        const float* mask, const int64_t* ptr, const int64_t* perm, const int64_t* nbr,
                                        Epilogue<float> epilogue, float* out) {
  using Vector = typename Loads<In, V>::type;
  __shared__ int64_t staged_nbr[kEdgeChunk];
  __shared__ float staged_weight[kEdgeChunk * kMaxStagedHeads];
  const int heads = static_cast<int>(h);
  const int64_t row = blockIdx.x, vectors = h * f / V, row_vectors = feat_ld / V, p0 = ptr[row], p1 = ptr[row + 1];
  const Vector* feat_v = reinterpret_cast<const Vector*>(feat);
  for (int64_t base = 0; base < vectors; base += int64_t(blockDim.x) * R) {
    float acc[R][V];
    int head[R][V];
#pragma unroll
    for (int r = 0; r < R; ++r) {
      const int64_t q = base + threadIdx.x + int64_t(r) * blockDim.x;
#pragma unroll
      for (int i = 0; i < V; ++i) {
        acc[r][i] = 0;
        head[r][i] = q < vectors ? static_cast<int>((q * V + i) / f) : 0;
      }
    }
    for (int64_t p = p0; p < p1; p += kEdgeChunk) {
      const int edges = static_cast<int>(p1 - p < kEdgeChunk ? p1 - p : kEdgeChunk);
      __syncthreads();  // every thread is done with the previous chunk
      for (int slot = threadIdx.x; slot < edges * heads; slot += blockDim.x) {
        const int e = slot / heads, hd = slot % heads;
        const int64_t k = perm ? perm[p + e] : p + e, kh = k * h + hd;
        if (hd == 0) staged_nbr[e] = nbr[k];
        staged_weight[slot] = mask ? alpha[kh] * mask[kh] : alpha[kh];
      }
      __syncthreads();
#pragma unroll 4
      for (int e = 0; e < edges; ++e) {
        const Vector* in = feat_v + staged_nbr[e] * row_vectors;
        const float* weight = staged_weight + e * heads;
#pragma unroll
        for (int r = 0; r < R; ++r) {
          const int64_t q = base + threadIdx.x + int64_t(r) * blockDim.x;
          if (q < vectors) {
            const Vector v = in[q];
#pragma unroll
            for (int i = 0; i < V; ++i) acc[r][i] += weight[head[r][i]] * component(v, i);
          }
        }
      }
    }
#pragma unroll
    for (int r = 0; r < R; ++r) {
      const int64_t q = base + threadIdx.x + int64_t(r) * blockDim.x;
      if (q < vectors)
#pragma unroll
        for (int i = 0; i < V; ++i) {
          const int64_t at = (row * vectors + q) * V + i;
          out[at] = finish(acc[r][i], epilogue, at, q * V + i);
        }
    }
  }
}

// <a, b> of two loads, the products summed left to right.
__device__ float vector_dot(const float4& a, const float4& b) { return a.x * b.x + a.y * b.y + a.z * b.z + a.w * b.w; }
__device__ float vector_dot(const float4& a, const Bfloat16s<4>& b) {
  return a.x * widen(b.v[0]) + a.y * widen(b.v[1]) + a.z * widen(b.v[2]) + a.w * widen(b.v[3]);
}
template <typename T, typename X>
__device__ T vector_dot(T a, X b) {
  return a * widen(b);
}

// One warp per edge; each lane reads g[i] and x[j] (rows x_ld apart) V values at a time: one, or
// four where float32 heads are whole quads (f % 4 == 0).
template <typename T, typename X, int V>
__global__ void edge_dot_kernel(int64_t e, int64_t h, int64_t f, const T* g, const X* x, int64_t x_ld, const T* mask,
                                const int64_t* src, const int64_t* dst, T* t) {
  using GLoad = typename Loads<T, V>::type;
  using XLoad = typename Loads<X, V>::type;
  const int64_t k = warp_index();
  if (k >= e) return;
  const int lane = lane_index();
  const int64_t head_vectors = f / V, row_vectors = h * head_vectors;
  const GLoad* gi = reinterpret_cast<const GLoad*>(g) + dst[k] * row_vectors;
  const XLoad* xj = reinterpret_cast<const XLoad*>(x) + src[k] * (x_ld / V);
  for (int64_t head = 0; head < h; ++head) {
    T part = 0;
    for (int64_t q = head * head_vectors + lane; q < (head + 1) * head_vectors; q += kWarp)
      part += vector_dot(gi[q], xj[q]);
    const T d = warp_sum(part);
    if (lane == 0) t[k * h + head] = mask ? mask[k * h + head] * d : d;
  }
}

template <typename T>
__global__ void softmax_backward_kernel(int64_t n, int64_t h, const T* ss, const T* sd, const T* alpha,
                                        const int64_t* ptr, const int64_t* src, T slope, T* t, T* gsd) {
  const int64_t w = warp_index();
  if (w >= n * h) return;
  const int lane = lane_index();
  const int64_t i = w / h, head = w % h, k0 = ptr[i], k1 = ptr[i + 1];
  T part = 0;
  for (int64_t k = k0 + lane; k < k1; k += kWarp) part += alpha[k * h + head] * t[k * h + head];
  const T weighted = warp_sum(part);  // sum_k alpha_k d_k
  const T dst_score = sd[score_at(h, i, head)];
  part = 0;
  for (int64_t k = k0 + lane; k < k1; k += kWarp) {
    const int64_t kh = k * h + head;
    T tk = alpha[kh] * (t[kh] - weighted);
    if (!(ss[score_at(h, src[k], head)] + dst_score > T(0))) tk *= slope;  // LeakyReLU'(s)
    t[kh] = tk;
    part += tk;
  }
  const T total = warp_sum(part);
  if (lane == 0) gsd[score_at(h, i, head)] = total;
}

template <typename T>
__global__ void source_score_grad_kernel(int64_t n, int64_t h, const T* t, const int64_t* source_ptr,
                                         const int64_t* by_source, T* gss) {
  const int64_t w = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (w >= n * h) return;
  const int64_t j = w / h, head = w % h;
  T sum = 0;
  for (int64_t p = source_ptr[j]; p < source_ptr[j + 1]; ++p) sum += t[by_source[p] * h + head];
  gss[score_at(h, j, head)] = sum;
}

// The epilogue's backward over the rows of block blockIdx.x / (column blocks), one thread a column:
// through ELU where out is given, grad_pre = g where out > 0, else g (out + 1) (ELU' from its
// output, as torch's elu_backward); and, where partials is given, those rows' column sums of that
// gradient in double, in row order.
template <typename T>
__global__ void epilogue_backward_kernel(int64_t n, int64_t hf, const T* g, const T* out, T* grad_pre,
                                         double* partials) {
  const int64_t column_blocks = (hf + blockDim.x - 1) / blockDim.x, rows = blockIdx.x / column_blocks;
  const int64_t c = (blockIdx.x % column_blocks) * blockDim.x + threadIdx.x;
  if (c >= hf) return;
  const int64_t r1 = (rows + 1) * kBiasGradientRows < n ? (rows + 1) * kBiasGradientRows : n;
  double sum = 0;
  for (int64_t r = rows * kBiasGradientRows; r < r1; ++r) {
    const int64_t at = r * hf + c;
    T v = g[at];
    if (out) {
      v = out[at] > T(0) ? v : v * (out[at] + T(1));
      grad_pre[at] = v;
    }
    sum += v;
  }
  if (partials) partials[rows * hf + c] = sum;
}

// grad_bias[c] = the blocks' column sums added in block order: the same bits on every run.
template <typename T>
__global__ void bias_gradient_kernel(int64_t blocks, int64_t hf, const double* partials, T* grad_bias) {
  const int64_t c = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (c >= hf) return;
  double sum = 0;
  for (int64_t b = 0; b < blocks; ++b) sum += partials[b * hf + c];
  grad_bias[c] = static_cast<T>(sum);
}

unsigned blocks_for(int64_t threads_needed, int per_block) {
  return static_cast<unsigned>((threads_needed + per_block - 1) / per_block);
}

unsigned column_threads(int64_t hf) {
  const int64_t warps = (hf + kColumnsPerThread * kWarp - 1) / (kColumnsPerThread * kWarp);
  return static_cast<unsigned>(std::min<int64_t>(kColumnThreads, std::max<int64_t>(1, warps) * kWarp));
}

// How many values of E the kernels may load at once from rows at `rows` whose lengths and distances
// apart are `columns`: 4, 2 or 1 (Loads); always 1 for doubles.
template <typename E>
int vector_width(std::initializer_list<int64_t> columns, const E* rows) {
  if constexpr (std::is_same_v<E, double>) {
    return 1;
  } else {
    for (int width : {4, 2}) {
      bool fits = reinterpret_cast<std::uintptr_t>(rows) % (width * sizeof(E)) == 0;
      for (int64_t c : columns) fits = fits && c % width == 0;
      if (fits) return width;
    }
    return 1;
  }
}

// out = sum over each row's edges of the weighted feature rows (feat_ld apart), finished by
// `epilogue`: aggregate_staged_kernel for float32 sums with at most kMaxStagedHeads heads,
// aggregate_kernel otherwise.
template <typename T, typename In>
void aggregate(int64_t n, int64_t h, int64_t f, const In* feat, int64_t feat_ld, const T* alpha, const T* mask,
               const int64_t* ptr, const int64_t* perm, const int64_t* nbr, const Epilogue<T>& epilogue, T* out,
               cudaStream_t stream) {
  const unsigned blocks = static_cast<unsigned>(n), threads = column_threads(h * f);
  if constexpr (std::is_same_v<T, float>) {
    if (h <= kMaxStagedHeads) {
      switch (std::min(vector_width({h * f, feat_ld}, feat), vector_width({h * f}, out))) {
        case 4:
          aggregate_staged_kernel<In, 4, kColumnsPerThread / 4>
              <<<blocks, threads, 0, stream>>>(h, f, feat, feat_ld, alpha, mask, ptr, perm, nbr, epilogue, out);
          break;
        case 2:
          aggregate_staged_kernel<In, 2, kColumnsPerThread / 2>
              <<<blocks, threads, 0, stream>>>(h, f, feat, feat_ld, alpha, mask, ptr, perm, nbr, epilogue, out);
          break;
        default:
          aggregate_staged_kernel<In, 1, kColumnsPerThread>
              <<<blocks, threads, 0, stream>>>(h, f, feat, feat_ld, alpha, mask, ptr, perm, nbr, epilogue, out);
      }
      CUDA_CHECK(cudaGetLastError());
      return;
    }
  }
  aggregate_kernel<T, In, kColumnsPerThread>
      <<<blocks, threads, 0, stream>>>(h, f, feat, feat_ld, alpha, mask, ptr, perm, nbr, epilogue, out);
  CUDA_CHECK(cudaGetLastError());
}

}  // namespace

template <typename T, typename X>
void fused_attention_forward(int64_t n, int64_t h, int64_t f, const X* x, int64_t x_ld, const T* score_src,
                             const T* score_dst, const T* mask, const int64_t* target_ptr, const int64_t* source,
                             T negative_slope, const Epilogue<T>& epilogue, T* alpha, T* out, cudaStream_t stream) {
  if (n == 0 || h == 0) return;
  softmax_kernel<T><<<blocks_for(n * h * kWarp, kThreads), kThreads, 0, stream>>>(
      n, h, score_src, score_dst, target_ptr, source, negative_slope, alpha);
  CUDA_CHECK(cudaGetLastError());
  aggregate(n, h, f, x, x_ld, alpha, mask, target_ptr, nullptr, source, epilogue, out, stream);
}

template <typename T, typename X>
void fused_attention_backward(int64_t n, int64_t e, int64_t h, int64_t f, const X* x, int64_t x_ld, const T* score_src,
                              const T* score_dst, const T* mask, const T* alpha, const T* g, const int64_t* target_ptr,
                              const int64_t* source, const int64_t* target, const int64_t* source_ptr,
                              const int64_t* by_source, T negative_slope, const EpilogueGradients<T>& epilogue, T* t,
                              T* grad_x, T* grad_score_src, T* grad_score_dst, cudaStream_t stream) {
  if (n == 0 || h == 0) return;
  const int64_t hf = h * f;
  if (epilogue.out || epilogue.grad_bias) {
    const int64_t row_blocks = bias_gradient_blocks(n), column_blocks = (hf + kThreads - 1) / kThreads;
    double* partials = epilogue.grad_bias ? epilogue.bias_partials : nullptr;
    epilogue_backward_kernel<T><<<static_cast<unsigned>(row_blocks * column_blocks), kThreads, 0, stream>>>(
        n, hf, g, epilogue.out, epilogue.grad_pre, partials);
    CUDA_CHECK(cudaGetLastError());
    if (partials) {
      bias_gradient_kernel<T>
          <<<blocks_for(hf, kThreads), kThreads, 0, stream>>>(row_blocks, hf, partials, epilogue.grad_bias);
      CUDA_CHECK(cudaGetLastError());
    }
    // From here on, g is the gradient of the attention's own output.
    if (epilogue.out) g = epilogue.grad_pre;
  }
  if (e > 0) {
    constexpr int kQuad = std::is_same_v<T, float> ? 4 : 1;  // doubles are read one at a time
    if (kQuad == 4 && vector_width({f}, g) == 4 && vector_width({f, x_ld}, x) == 4)
      edge_dot_kernel<T, X, kQuad>
          <<<blocks_for(e * kWarp, kThreads), kThreads, 0, stream>>>(e, h, f, g, x, x_ld, mask, source, target, t);
    else
      edge_dot_kernel<T, X, 1>
          <<<blocks_for(e * kWarp, kThreads), kThreads, 0, stream>>>(e, h, f, g, x, x_ld, mask, source, target, t);
    CUDA_CHECK(cudaGetLastError());
  }
  aggregate(n, h, f, g, hf, alpha, mask, source_ptr, by_source, target, Epilogue<T>{}, grad_x, stream);
  softmax_backward_kernel<T><<<blocks_for(n * h * kWarp, kThreads), kThreads, 0, stream>>>(
      n, h, score_src, score_dst, alpha, target_ptr, source, negative_slope, t, grad_score_dst);
  CUDA_CHECK(cudaGetLastError());
  source_score_grad_kernel<T>
      <<<blocks_for(n * h, kThreads), kThreads, 0, stream>>>(n, h, t, source_ptr, by_source, grad_score_src);
  CUDA_CHECK(cudaGetLastError());
}

#define GAT_INSTANTIATE(T, X)                                                                                          \
  template void fused_attention_forward<T, X>(int64_t, int64_t, int64_t, const X*, int64_t, const T*, const T*,        \
                                              const T*, const int64_t*, const int64_t*, T, const Epilogue<T>&, T*, T*, \
                                              cudaStream_t);                                                           \
  template void fused_attention_backward<T, X>(int64_t, int64_t, int64_t, int64_t, const X*, int64_t, const T*,        \
                                               const T*, const T*, const T*, const T*, const int64_t*, const int64_t*, \
                                               const int64_t*, const int64_t*, const int64_t*, T,                      \
                                               const EpilogueGradients<T>&, T*, T*, T*, T*, cudaStream_t);
GAT_INSTANTIATE(float, float)
GAT_INSTANTIATE(double, double)
GAT_INSTANTIATE(float, __nv_bfloat16)
#undef GAT_INSTANTIATE

}  // namespace gat::ops::cuda
