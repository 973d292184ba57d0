// The CUDA kernels of the fused attention (src/ops/fused_attention_cuda.cu), run by the emulator on
// the CPU, against the sparse form in float64: every kernel and every load width the GPU build
// picks, with and without dropout. What the GPU's tests (tests/fused_attention_test.cpp) check
// besides, speed and the LibTorch glue in ops/fused_attention.cpp, needs a GPU.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "common/edge_plan.h"
#include "ops/attention.h"
#include "ops/dropout.h"
#include "ops/fused_attention_cuda.h"
#include "support/random_graph.h"
#include "support/rel_error.h"

namespace {

using gat::EdgePlan;
using gat::testing::rel_error;

constexpr double kSlope = 0.2;
const char* kWhat[] = {"output", "d projected", "d scores"};

// The output and the gradients in projected and scores of (out * weights).sum().
struct Results {
  torch::Tensor out, grad_projected, grad_scores;
  std::vector<torch::Tensor> all() const { return {out, grad_projected, grad_scores}; }
};

struct Inputs {
  torch::Tensor projected, scores, weights;
  double dropout;
  gat::DropoutKey key;  // of the dropout mask on alpha
  torch::Tensor mask;   // [E, H] that key gives, or undefined without dropout
};

Inputs random_inputs(const EdgePlan& plan, int64_t h, int64_t f, double dropout, uint64_t seed) {
  torch::manual_seed(seed);
  const int64_t n = plan.num_nodes;
  Inputs in{torch::randn({n, h, f}, torch::kFloat64), torch::randn({n, h, 2}, torch::kFloat64),
            torch::randn({n, h * f}, torch::kFloat64), dropout, gat::DropoutKey{seed, 0, 0, {{0, n, plan.num_edges()}}},
            torch::Tensor()};
  if (dropout > 0)
    in.mask = gat::ops::dropout_mask(in.key, gat::ops::DropoutSite::kAttention, h, dropout, torch::kFloat64);
  return in;
}

// The reference: the sparse form by LibTorch's ops, its gradients by autograd, in float64.
Results sparse_reference(const Inputs& in, const EdgePlan& plan) {
  const torch::Tensor projected = in.projected.clone().requires_grad_(), scores = in.scores.clone().requires_grad_();
  const torch::Tensor out = gat::ops::gat_attention(gat::AttentionImpl::kSparse, projected, scores, plan, kSlope,
                                                    in.dropout, in.dropout > 0, in.key);
  (out * in.weights).sum().backward();
  return {out.detach(), projected.grad(), scores.grad()};
}

// The kernels, forward then backward with g = weights, in T, on the CPU under the emulator.
template <typename T>
Results emulated_kernels(const Inputs& in, const EdgePlan& plan) {
  const torch::Dtype dtype = std::is_same_v<T, float> ? torch::kFloat32 : torch::kFloat64;
  const torch::Tensor x = in.projected.to(dtype), s = in.scores.to(dtype), g = in.weights.to(dtype);
  const torch::Tensor mask = in.mask.defined() ? in.mask.to(dtype) : torch::Tensor();
  const int64_t n = x.size(0), h = x.size(1), f = x.size(2), e = plan.num_edges();
  const T* m = mask.defined() ? mask.data_ptr<T>() : nullptr;
  const int64_t* edges = plan.edge_index.data_ptr<int64_t>();  // sources, then targets
  torch::Tensor alpha = torch::empty({e, h}, dtype), out = torch::empty({n, h * f}, dtype);
  gat::ops::cuda::fused_attention_forward<T>(n, h, f, x.data_ptr<T>(), s.data_ptr<T>(), s.data_ptr<T>() + 1, m,
                                             plan.target_ptr.data_ptr<int64_t>(), edges, T(kSlope),
                                             alpha.data_ptr<T>(), out.data_ptr<T>(), nullptr);
  torch::Tensor t = torch::empty({e, h}, dtype), gx = torch::empty_like(x), gs = torch::empty_like(s);
  gat::ops::cuda::fused_attention_backward<T>(
      n, e, h, f, x.data_ptr<T>(), s.data_ptr<T>(), s.data_ptr<T>() + 1, m, alpha.data_ptr<T>(), g.data_ptr<T>(),
      plan.target_ptr.data_ptr<int64_t>(), edges, edges + e, plan.source_ptr.data_ptr<int64_t>(),
      plan.by_source.data_ptr<int64_t>(), T(kSlope), t.data_ptr<T>(), gx.data_ptr<T>(), gs.data_ptr<T>(),
      gs.data_ptr<T>() + 1, nullptr);
  return {out.to(torch::kFloat64), gx.to(torch::kFloat64), gs.to(torch::kFloat64)};
}

// Graphs whose rows run past a warp (32 edges) and a staged chunk (32): node 0 of the hub sends to
// and receives from all 69 others; and rows with no edges at all, without self loops.
std::vector<std::pair<std::string, EdgePlan>> plans() {
  return {{"hub", gat::make_edge_plan(gat::testing::hub_graph(70, 3), 70, true)},
          {"isolated_nodes", gat::make_edge_plan(gat::testing::random_graph(40, 0.03, false, 1), 40, false)}};
}

// Heads and features that take each path of the kernels: float4 loads and edge dots with 4 heads
// of 300 (1,200 columns: two passes of a block), float2 loads whose pairs can span two heads with 6
// of 121 (scalar edge dots), scalar loads with 3 of 7, more heads than the staged kernel holds with
// 9 of 8 (aggregate_kernel, float4 edge dots). Doubles take aggregate_kernel and scalar dots.
const std::vector<std::pair<int64_t, int64_t>> kWidths = {{4, 300}, {6, 121}, {3, 7}, {9, 8}};

TEST(EmulatedCudaKernels, MatchTheSparseFormInFloat32And64) {
  for (const auto& [graph, plan] : plans())
    for (const auto& [h, f] : kWidths)
      for (double dropout : {0.0, 0.4}) {
        const Inputs in = random_inputs(plan, h, f, dropout, 7);
        const std::vector<torch::Tensor> expected = sparse_reference(in, plan).all();
        const std::vector<torch::Tensor> f32 = emulated_kernels<float>(in, plan).all(),
                                         f64 = emulated_kernels<double>(in, plan).all();
        const std::string what = graph + ", " + std::to_string(h) + " heads of " + std::to_string(f) +
                                 (dropout > 0 ? ", with dropout" : "");
        for (int i = 0; i < 3; ++i) {
          EXPECT_LT(rel_error(f32[i], expected[i]), 1e-5) << kWhat[i] << " in float32, " << what;
          EXPECT_LT(rel_error(f64[i], expected[i]), 1e-10) << kWhat[i] << " in float64, " << what;
        }
      }
}

}  // namespace
