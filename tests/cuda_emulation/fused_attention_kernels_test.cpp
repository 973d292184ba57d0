// The CUDA kernels of the fused attention (src/ops/fused_attention_cuda.cu), run by the emulator on
// the CPU, against the sparse form and LibTorch's epilogue in float64: every kernel and every load
// width the GPU build picks, in float32, float64 and float32 with bfloat16 Wh, with and without
// dropout, with and without each part of the epilogue, Wh's rows contiguous and inside wider rows.
// What the GPU's tests (tests/fused_attention_test.cpp) check besides, speed and the LibTorch glue
// in ops/fused_attention.cpp, needs a GPU.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "common/edge_plan.h"
#include "emulator.h"
#include "ops/attention.h"
#include "ops/dropout.h"
#include "ops/fused_attention_cuda.h"
#include "support/random_graph.h"
#include "support/rel_error.h"

namespace {

using gat::EdgePlan;
using gat::testing::rel_error;

constexpr double kSlope = 0.2;
const char* kWhat[] = {"output", "d projected", "d scores", "d addend", "d bias"};

// The output and the gradients of (out * weights).sum() in projected, scores, and the epilogue's
// addend and bias where it has them.
struct Results {
  torch::Tensor out, grad_projected, grad_scores, grad_addend, grad_bias;
  std::vector<torch::Tensor> all() const { return {out, grad_projected, grad_scores, grad_addend, grad_bias}; }
};

// Which parts of the layer's epilogue (ops/epilogue.h) a case has; the addend is a residual as it is.
struct EpilogueParts {
  bool addend, bias, elu;
  std::string name() const {
    return std::string(addend ? ", addend" : "") + (bias ? ", bias" : "") + (elu ? ", ELU" : "");
  }
};

struct Inputs {
  torch::Tensor projected, scores, weights;
  double dropout;
  gat::DropoutKey key;         // of the dropout mask on alpha
  torch::Tensor mask;          // [E, H] that key gives, or undefined without dropout
  torch::Tensor addend, bias;  // [N, H * F] and [H * F], or undefined
  bool elu;
};

Inputs random_inputs(const EdgePlan& plan, int64_t h, int64_t f, double dropout, EpilogueParts parts, uint64_t seed) {
  torch::manual_seed(seed);
  const int64_t n = plan.num_nodes;
  Inputs in{torch::randn({n, h, f}, torch::kFloat64),
            torch::randn({n, h, 2}, torch::kFloat64),
            torch::randn({n, h * f}, torch::kFloat64),
            dropout,
            gat::DropoutKey{seed, 0, 0, {{0, n, plan.num_edges()}}},
            torch::Tensor(),
            parts.addend ? torch::randn({n, h * f}, torch::kFloat64) : torch::Tensor(),
            parts.bias ? torch::randn({h * f}, torch::kFloat64) : torch::Tensor(),
            parts.elu};
  if (dropout > 0)
    in.mask = gat::ops::dropout_mask(in.key, gat::ops::DropoutSite::kAttention, h, dropout, torch::kFloat64);
  return in;
}

// The reference: the sparse form and the epilogue by LibTorch's ops, gradients by autograd, in float64.
Results reference(const Inputs& in, const EdgePlan& plan) {
  auto variable = [](const torch::Tensor& t) { return t.defined() ? t.clone().requires_grad_() : torch::Tensor(); };
  const torch::Tensor projected = variable(in.projected), scores = variable(in.scores);
  gat::ops::Epilogue epilogue;
  epilogue.residual = variable(in.addend);
  epilogue.bias = variable(in.bias);
  epilogue.elu = in.elu;
  const torch::Tensor out = gat::ops::gat_attention(gat::AttentionImpl::kSparse, projected, scores, plan, kSlope,
                                                    in.dropout, in.dropout > 0, in.key, epilogue);
  (out * in.weights).sum().backward();
  auto grad = [](const torch::Tensor& t) { return t.defined() ? t.grad() : torch::Tensor(); };
  return {out.detach(), projected.grad(), scores.grad(), grad(epilogue.residual), grad(epilogue.bias)};
}

// The kernels, forward then backward with g = weights, in T, on the CPU under the emulator, reading
// the projected rows in X (T, or bfloat16 rounded to nearest even); those rows are the first H * F
// columns of rows `pad` wider, as GATConv's one product leaves them.
template <typename T, typename X = T>
Results emulated_kernels(const Inputs& in, const EdgePlan& plan, int64_t pad) {
  const torch::Dtype dtype = std::is_same_v<T, float> ? torch::kFloat32 : torch::kFloat64;
  const torch::Dtype x_dtype = std::is_same_v<X, T> ? dtype : torch::kBFloat16;
  const int64_t n = in.projected.size(0), h = in.projected.size(1), f = in.projected.size(2), e = plan.num_edges();
  const torch::Tensor rows =
      torch::cat({in.projected.view({n, h * f}), torch::full({n, pad}, 1e6, torch::kFloat64)}, 1).to(x_dtype);
  const torch::Tensor s = in.scores.to(dtype), g = in.weights.to(dtype);
  const X* x = static_cast<const X*>(rows.data_ptr());  // its first H * F columns
  auto in_t = [&](const torch::Tensor& t) { return t.defined() ? t.to(dtype) : torch::Tensor(); };
  auto ptr = [](const torch::Tensor& t) { return t.defined() ? t.data_ptr<T>() : nullptr; };
  const torch::Tensor mask = in_t(in.mask), addend = in_t(in.addend), bias = in_t(in.bias);
  const int64_t* edges = plan.edge_index.data_ptr<int64_t>();  // sources, then targets
  torch::Tensor alpha = torch::empty({e, h}, dtype), out = torch::empty({n, h * f}, dtype);
  gat::ops::cuda::fused_attention_forward<T>(
      n, h, f, x, rows.stride(0), s.data_ptr<T>(), s.data_ptr<T>() + 1, ptr(mask), plan.target_ptr.data_ptr<int64_t>(),
      edges, T(kSlope), {ptr(addend), ptr(bias), in.elu}, alpha.data_ptr<T>(), out.data_ptr<T>(), nullptr);
  // Without ELU the addend's gradient is g itself, and the kernels write none.
  torch::Tensor grad_pre = in.elu ? torch::empty_like(g) : torch::Tensor();
  torch::Tensor grad_bias = bias.defined() ? torch::empty_like(bias) : torch::Tensor();
  torch::Tensor partials = bias.defined()
                               ? torch::empty({gat::ops::cuda::bias_gradient_blocks(n), h * f}, torch::kFloat64)
                               : torch::Tensor();
  torch::Tensor t = torch::empty({e, h}, dtype), gx = torch::empty({n, h, f}, dtype), gs = torch::empty_like(s);
  gat::ops::cuda::fused_attention_backward<T>(
      n, e, h, f, x, rows.stride(0), s.data_ptr<T>(), s.data_ptr<T>() + 1, ptr(mask), alpha.data_ptr<T>(),
      g.data_ptr<T>(), plan.target_ptr.data_ptr<int64_t>(), edges, edges + e, plan.source_ptr.data_ptr<int64_t>(),
      plan.by_source.data_ptr<int64_t>(), T(kSlope),
      {in.elu ? out.data_ptr<T>() : nullptr, ptr(grad_pre), ptr(grad_bias),
       partials.defined() ? partials.data_ptr<double>() : nullptr},
      t.data_ptr<T>(), gx.data_ptr<T>(), gs.data_ptr<T>(), gs.data_ptr<T>() + 1, nullptr);
  const torch::Tensor grad_addend = !addend.defined() ? torch::Tensor() : in.elu ? grad_pre : g;
  auto f64 = [](const torch::Tensor& t) { return t.defined() ? t.to(torch::kFloat64) : torch::Tensor(); };
  return {f64(out), f64(gx), f64(gs), f64(grad_addend), f64(grad_bias)};
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
// 9 of 8 (aggregate_kernel, float4 edge dots). Doubles take aggregate_kernel and scalar dots;
// bfloat16 Wh the same paths as float32, its loads 8, 4 and 2 bytes wide.
const std::vector<std::pair<int64_t, int64_t>> kWidths = {{4, 300}, {6, 121}, {3, 7}, {9, 8}};

// The kernels' results against the reference's, each that both have, at 1e-5 in float32 and 1e-10 in
// float64; and that the kernels give exactly the gradients the case has. With bfloat16 Wh the
// reference takes Wh rounded to bfloat16: the kernels' only other error is float32's, so 1e-5 again.
// The kernels run with the emulator's threads in index order and in reverse, so that a missing
// barrier shows whichever of its threads reads.
void expect_agreement(const EdgePlan& plan, int64_t h, int64_t f, double dropout, EpilogueParts parts,
                      const std::string& graph, int64_t pad = 0) {
  using gat::cuda_emulation::Order;
  const Inputs in = random_inputs(plan, h, f, dropout, parts, 7);
  Inputs rounded = in;
  rounded.projected = in.projected.to(torch::kBFloat16).to(torch::kFloat64);
  const std::vector<torch::Tensor> expected = reference(in, plan).all(),
                                   expected_rounded = reference(rounded, plan).all();
  for (Order order : {Order::kForward, Order::kReverse}) {
    const gat::cuda_emulation::ScopedOrder scoped(order);
    const struct {
      const char* name;
      std::vector<torch::Tensor> got;
      const std::vector<torch::Tensor>& expected;
      double tolerance;
    } runs[] = {{"float32", emulated_kernels<float>(in, plan, pad).all(), expected, 1e-5},
                {"float64", emulated_kernels<double>(in, plan, pad).all(), expected, 1e-10},
                {"float32 with bfloat16 Wh", emulated_kernels<float, __nv_bfloat16>(in, plan, pad).all(),
                 expected_rounded, 1e-5}};
    const std::string what = graph + ", " + std::to_string(h) + " heads of " + std::to_string(f) +
                             (dropout > 0 ? ", with dropout" : "") + parts.name() +
                             (pad > 0 ? ", rows " + std::to_string(pad) + " wider" : "") +
                             (order == Order::kReverse ? ", threads in reverse" : "");
    for (const auto& run : runs)
      for (std::size_t i = 0; i < run.expected.size(); ++i) {
        ASSERT_EQ(run.got[i].defined(), run.expected[i].defined()) << kWhat[i] << ", " << what;
        if (!run.expected[i].defined()) continue;
        EXPECT_LT(rel_error(run.got[i], run.expected[i]), run.tolerance)
            << kWhat[i] << " in " << run.name << ", " << what;
      }
  }
}

TEST(EmulatedCudaKernels, MatchTheSparseFormInFloat32And64) {
  for (const auto& [graph, plan] : plans())
    for (const auto& [h, f] : kWidths)
      for (double dropout : {0.0, 0.4}) expect_agreement(plan, h, f, dropout, {false, false, false}, graph);
}

// The epilogue in the forward's output writes and its backward: each part alone, and all three; once
// more on 600 nodes, whose bias gradient is summed over three blocks of rows.
TEST(EmulatedCudaKernels, EpilogueMatchesLibTorchsOpsInFloat32And64) {
  const EdgePlan many_rows = gat::make_edge_plan(gat::testing::random_graph(600, 0.005, false, 2), 600, true);
  for (EpilogueParts parts : {EpilogueParts{true, false, false}, EpilogueParts{false, true, false},
                              EpilogueParts{false, false, true}, EpilogueParts{true, true, true}}) {
    for (const auto& [graph, plan] : plans())
      for (const auto& [h, f] : kWidths) expect_agreement(plan, h, f, 0.4, parts, graph);
    expect_agreement(many_rows, 6, 121, 0.4, parts, "600 nodes");
  }
}

// Wh inside rows 4, 2 and 1 columns wider, whose distance apart leaves float32 rows of 1,200 (4
// heads of 300) to float4, float2 and scalar loads; the padding is large, so a row read past its
// H * F columns shows.
TEST(EmulatedCudaKernels, ReadProjectedRowsInsideWiderRows) {
  for (int64_t pad : {4, 2, 1})
    for (const auto& [graph, plan] : plans())
      for (const auto& [h, f] : kWidths) expect_agreement(plan, h, f, 0.4, {true, true, true}, graph, pad);
}

}  // namespace
