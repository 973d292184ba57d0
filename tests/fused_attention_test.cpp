// The fused attention kernel against the LibTorch references (sparse edge list and dense N x N),
// against finite differences, and against itself across runs and thread counts.
#include <gtest/gtest.h>

#include <ATen/Parallel.h>

#include <cmath>
#include <limits>

#include "common/edge_plan.h"
#include "common/thread_speeds.h"
#include "config/choice_names.h"
#include "ops/attention.h"
#include "ops/dropout.h"
#include "ops/fused_attention.h"
#include "support/error_of.h"
#include "support/finite_differences.h"
#include "support/gpu.h"
#include "support/random_graph.h"
#include "support/rel_error.h"

using gat::AttentionImpl;
using gat::EdgePlan;
using gat::make_edge_plan;

namespace {

using gat::testing::hub_graph;
using gat::testing::random_graph;
using gat::testing::rel_error;

// Several graphs in one batch: block-diagonal edges over 10, 1 and 25 nodes.
torch::Tensor batch_edges(uint64_t seed) {
  return torch::cat(
      {random_graph(10, 0.3, false, seed), random_graph(1, 0.0, false, seed), random_graph(25, 0.15, false, seed) + 11},
      1);
}

struct Case {
  std::string name;
  int64_t n;
  torch::Tensor edges;
  bool self_loops;
};

std::vector<Case> cases() {
  return {{"isolated_nodes", 40, random_graph(40, 0.03, false, 1), false},
          {"isolated_nodes_loops", 40, random_graph(40, 0.03, false, 1), true},
          {"hub", 60, hub_graph(60, 2), true},
          {"hub_noloops", 60, hub_graph(60, 2), false},
          {"one_node", 1, torch::zeros({2, 0}, torch::kInt64), true},
          {"one_node_no_edges", 1, torch::zeros({2, 0}, torch::kInt64), false},
          {"three_graphs", 36, batch_edges(3), true}};
}

struct Inputs {
  torch::Tensor projected, scores, weights;  // weights: random projection of the output
};

// Drawn in float64 on the CPU, so a seed gives the same inputs (up to rounding) in every dtype and
// on every device.
Inputs random_inputs(int64_t n, int64_t h, int64_t f, torch::Dtype dtype, uint64_t seed,
                     torch::Device device = torch::kCPU) {
  torch::manual_seed(seed);
  auto draw = [&](torch::IntArrayRef sizes) { return torch::randn(sizes, torch::kFloat64).to(device, dtype); };
  Inputs in;
  in.projected = draw({n, h, f}).requires_grad_();
  in.scores = draw({n, h, 2}).requires_grad_();
  in.weights = draw({n, h * f});
  return in;
}

// Output and the gradients of (out * weights).sum() in projected and scores; dropout's masks keyed by
// `dropout_seed` with the plan as one graph; the layer's precision `precision`.
std::vector<torch::Tensor> run(AttentionImpl impl, const Inputs& in, const EdgePlan& plan, double dropout,
                               uint64_t dropout_seed, gat::Precision precision = gat::Precision::kFp32) {
  for (const torch::Tensor& t : {in.projected, in.scores})
    if (t.grad().defined()) t.mutable_grad().zero_();
  const gat::DropoutKey key{dropout_seed, 0, 0, {{0, plan.num_nodes, plan.num_edges()}}};
  const torch::Tensor out =
      gat::ops::gat_attention(impl, in.projected, in.scores, plan, 0.2, dropout, dropout > 0, key, {}, precision);
  (out * in.weights).sum().backward();
  return {out.detach(), in.projected.grad().clone(), in.scores.grad().clone()};
}

const char* kWhat[] = {"output", "d projected", "d scores"};

class FusedAgreement : public ::testing::TestWithParam<std::tuple<int, torch::Dtype, torch::DeviceType>> {};

TEST_P(FusedAgreement, MatchesSparseAndDenseInOutputsAndGradients) {
  const auto [index, dtype, device_type] = GetParam();
  GAT_SKIP_WITHOUT(device_type);
  const torch::Device device(device_type);
  const Case c = cases()[index];
  const double tol = dtype == torch::kFloat64 ? 1e-10 : 1e-5;
  const EdgePlan plan = gat::to_device(make_edge_plan(c.edges, c.n, c.self_loops), device);
  // 70 features: the CPU kernel's column tiles (64 floats, 32 doubles) are each walked in 8-wide
  // blocks, and the last tile has a tail of 6; on a GPU, 210 columns leave most of a block's threads
  // idle. 72 features: on a GPU, float32 heads of whole quads take the float4 kernels. 24 and 8
  // features: heads narrower than a CPU tile share one, two and one of the three heads (24 floats),
  // or all three (8 features). The CPU kernel sums a tile in registers where it is one head and
  // whole (64 floats, 32 doubles) or more than half a tile wide (121 features, PPI's output heads:
  // 64 + 57 floats, 3 x 32 + 25 doubles), or where heads of 8 fill it (8 heads of 8, Cora's layer).
  // Three heads take the kernels' general loops over an edge's heads; 1, 2, 4, 6 and 8 heads take
  // them unrolled for that count (with_heads), PPI's 4 x 256 layer as one head a tile and its 6 x 121.
  // The dense reference's bmm runs in full float32 on a GPU too: LibTorch's default keeps TF32 off.
  for (const auto& [h, f] : std::vector<std::pair<int64_t, int64_t>>{
           {3, 70}, {3, 72}, {3, 121}, {3, 24}, {3, 8}, {8, 8}, {1, 64}, {2, 24}, {4, 64}, {6, 121}}) {
    const std::string features = ", " + std::to_string(h) + " heads of " + std::to_string(f) + " features";
    const Inputs in = random_inputs(c.n, h, f, dtype, 5, device);
    const auto fused = run(AttentionImpl::kFused, in, plan, 0.0, 0);
    for (AttentionImpl ref : {AttentionImpl::kSparse, AttentionImpl::kDense}) {
      const auto expected = run(ref, in, plan, 0.0, 0);
      for (int i = 0; i < 3; ++i)
        EXPECT_LT(rel_error(fused[i], expected[i]), tol) << kWhat[i] << " vs " << gat::config::name_of(ref) << features;
    }
    // With dropout all three forms drop by the same mask from the same key.
    const auto fused_dropped = run(AttentionImpl::kFused, in, plan, 0.4, 9);
    for (AttentionImpl ref : {AttentionImpl::kSparse, AttentionImpl::kDense}) {
      const auto expected = run(ref, in, plan, 0.4, 9);
      for (int i = 0; i < 3; ++i)
        EXPECT_LT(rel_error(fused_dropped[i], expected[i]), tol)
            << kWhat[i] << " vs " << gat::config::name_of(ref) << " with dropout" << features;
    }
    // And the kernel gives the same bits when run again.
    const auto again = run(AttentionImpl::kFused, in, plan, 0.4, 9);
    for (int i = 0; i < 3; ++i)
      EXPECT_TRUE(torch::equal(again[i], fused_dropped[i])) << kWhat[i] << " run twice" << features;
  }
}

INSTANTIATE_TEST_SUITE_P(Graphs, FusedAgreement,
                         ::testing::Combine(::testing::Range(0, static_cast<int>(cases().size())),
                                            ::testing::Values(torch::kFloat32, torch::kFloat64),
                                            ::testing::Values(torch::kCPU, torch::kCUDA)),
                         [](const auto& info) {
                           return cases()[std::get<0>(info.param)].name +
                                  (std::get<1>(info.param) == torch::kFloat64 ? "_f64" : "_f32") +
                                  (std::get<2>(info.param) == torch::kCUDA ? "_cuda" : "");
                         });

// On a GPU, float32 against the float64 dense form computed on the CPU: 1e-5 relative, with PPI's
// layer width (4 heads of 300 features: float4 loads, more than one pass of a block's columns),
// PPI's last layer (6 heads of 121: float2 loads whose two columns may lie in two heads), and more
// heads than the staged kernel has room for (9: the scalar kernel).
TEST(FusedAttentionCuda, Float32MatchesFloat64CpuReference) {
  GAT_SKIP_WITHOUT(torch::kCUDA);
  const int64_t n = 300;
  const torch::Tensor edges = hub_graph(n, 4);
  const EdgePlan plan = make_edge_plan(edges, n, true);
  for (const auto& [h, f] : std::vector<std::pair<int64_t, int64_t>>{{4, 300}, {6, 121}, {9, 8}}) {
    const auto reference = run(AttentionImpl::kDense, random_inputs(n, h, f, torch::kFloat64, 6), plan, 0.0, 0);
    const auto fused = run(AttentionImpl::kFused, random_inputs(n, h, f, torch::kFloat32, 6, torch::kCUDA),
                           gat::to_device(plan, torch::kCUDA), 0.0, 0);
    for (int i = 0; i < 3; ++i)
      EXPECT_LT(rel_error(fused[i].cpu().to(torch::kFloat64), reference[i]), 1e-5)
          << kWhat[i] << ", " << h << " heads of " << f;
  }
}

TEST(FusedAttention, GradientsMatchFiniteDifferencesInFloat64) {
  const EdgePlan plan = make_edge_plan(hub_graph(9, 4), 9, true);
  const Inputs in = random_inputs(9, 2, 3, torch::kFloat64, 6);
  const gat::DropoutKey key{1, 0, 0, {{0, plan.num_nodes, plan.num_edges()}}};
  const torch::Tensor mask = gat::ops::dropout_mask(key, gat::ops::DropoutSite::kAttention, 2, 0.3, torch::kFloat64);
  auto loss = [&] { return (gat::ops::fused_attention(in.projected, in.scores, plan, 0.2, mask) * in.weights).sum(); };
  gat::testing::expect_gradients_match_finite_differences({in.projected, in.scores}, loss, 1e-7, 1e-7);
}

TEST(FusedAttention, BitwiseIdenticalAcrossRunsAndThreadCounts) {
  const int64_t n = 3000;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(8);
  const torch::Tensor edges = std::get<0>(torch::unique_dim(torch::randint(n, {2, 20 * n}, gen), 1));  // no duplicates
  const EdgePlan plan = make_edge_plan(edges, n, true);
  const Inputs in = random_inputs(n, 4, 72, torch::kFloat32, 7);  // two column tiles a head
  const int before = at::get_num_threads();
  std::vector<std::vector<torch::Tensor>> results;
  for (int threads : {1, 1, 2}) {
    at::set_num_threads(threads);
    results.push_back(run(AttentionImpl::kFused, in, plan, 0.3, 2));
  }
  // The rows a thread takes follow its measured speed: with thread 0 timed three times as fast,
  // the cuts move, and the bits must not.
  for (int loop = 0; loop < 40; ++loop) gat::thread_speeds().record({3, 1}, {1, 1});
  results.push_back(run(AttentionImpl::kFused, in, plan, 0.3, 2));
  for (int loop = 0; loop < 40; ++loop) gat::thread_speeds().record({1, 1}, {1, 1});
  at::set_num_threads(before);
  for (std::size_t r = 1; r < results.size(); ++r)
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(torch::equal(results[r][i], results[0][i])) << kWhat[i] << ", run " << r;
}

// GATConv's one product hands the kernel Wh as the first columns of wider rows; the kernels read
// them where they lie, and must give what they give Wh copied out, in float32 and float64. Rows 9
// wider are an odd number of floats apart, which on a GPU leaves float32 to scalar loads where the
// copy has float4s (the same sums in the same order); 12 wider keeps the float4s.
TEST(FusedAttention, ProjectedRowsInsideWiderRowsGiveTheSameBits) {
  const int64_t n = 40, h = 4, f = 70;
  const EdgePlan cpu_plan = make_edge_plan(random_graph(n, 0.2, false, 3), n, true);
  for (torch::DeviceType device : {torch::kCPU, torch::kCUDA}) {
    if (gat::testing::missing(device)) continue;
    const EdgePlan plan = gat::to_device(cpu_plan, device);
    for (torch::Dtype dtype : {torch::kFloat32, torch::kFloat64}) {
      const Inputs in = random_inputs(n, h, f, dtype, 11, device);
      const auto expected = run(AttentionImpl::kFused, in, plan, 0.3, 4);
      for (int64_t pad : {9, 12}) {
        const torch::Tensor wide = torch::cat(
            {in.projected.detach().view({n, h * f}), torch::randn({n, pad}, torch::dtype(dtype).device(device))}, 1);
        Inputs inside = in;
        inside.projected = wide.requires_grad_().narrow(1, 0, h * f).view({n, h, f});
        inside.projected.retain_grad();
        ASSERT_FALSE(inside.projected.is_contiguous());
        const auto got = run(AttentionImpl::kFused, inside, plan, 0.3, 4);
        for (int i = 0; i < 3; ++i)
          EXPECT_TRUE(torch::equal(got[i], expected[i]))
              << kWhat[i] << ", " << dtype << " on " << torch::Device(device) << ", rows " << pad << " wider";
      }
    }
  }
}

// The layer epilogue in the kernel (ops/epilogue.h): residual through a weight, bias and ELU.
struct EpilogueInputs {
  torch::Tensor residual, weight, bias;
  gat::ops::Epilogue epilogue() const { return {residual, weight, bias, true}; }
};

EpilogueInputs random_epilogue(int64_t n, int64_t width, torch::Dtype dtype, uint64_t seed) {
  torch::manual_seed(seed);
  auto draw = [&](torch::IntArrayRef sizes) { return torch::randn(sizes, torch::kFloat64).to(dtype).requires_grad_(); };
  return {draw({n, 5}), draw({width, 5}), draw({width})};
}

TEST(FusedAttention, EpilogueGradientsMatchFiniteDifferencesInFloat64) {
  const EdgePlan plan = make_edge_plan(hub_graph(9, 4), 9, true);
  const Inputs in = random_inputs(9, 2, 3, torch::kFloat64, 6);
  const EpilogueInputs e = random_epilogue(9, 6, torch::kFloat64, 4);
  const gat::DropoutKey key{1, 0, 0, {{0, plan.num_nodes, plan.num_edges()}}};
  const torch::Tensor mask = gat::ops::dropout_mask(key, gat::ops::DropoutSite::kAttention, 2, 0.3, torch::kFloat64);
  auto out = [&] { return gat::ops::fused_attention(in.projected, in.scores, plan, 0.2, mask, e.epilogue()); };
  auto loss = [&] { return (out() * in.weights).sum(); };
  const torch::Tensor once = out().detach();
  ASSERT_TRUE((once < 0).any().item<bool>() && (once > 0).any().item<bool>()) << "both sides of ELU";
  gat::testing::expect_gradients_match_finite_differences({in.projected, in.scores, e.residual, e.weight, e.bias}, loss,
                                                          1e-7, 1e-7);
}

// A batch of 3,000 nodes (the bias gradient is summed over more than one block of rows) with the
// epilogue's inputs, on `device`.
struct EpilogueCase {
  EdgePlan plan;
  Inputs in;
  EpilogueInputs e;
};

EpilogueCase epilogue_case(torch::Device device) {
  const int64_t n = 3000;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(8);
  const torch::Tensor edges = std::get<0>(torch::unique_dim(torch::randint(n, {2, 20 * n}, gen), 1));
  EpilogueInputs e = random_epilogue(n, 4 * 72, torch::kFloat32, 3);
  for (torch::Tensor* t : {&e.residual, &e.weight, &e.bias}) *t = t->detach().to(device).requires_grad_();
  return {gat::to_device(make_edge_plan(edges, n, true), device), random_inputs(n, 4, 72, torch::kFloat32, 7, device),
          e};
}

// The output and the gradients of (out * weights).sum(), the epilogue in the kernel or by LibTorch's
// ops on the kernel's output.
std::vector<torch::Tensor> run_epilogue(const EpilogueCase& c, bool in_kernel) {
  const Inputs& in = c.in;
  const EpilogueInputs& e = c.e;
  for (const torch::Tensor& t : {in.projected, in.scores, e.residual, e.weight, e.bias})
    if (t.grad().defined()) t.mutable_grad().zero_();
  const torch::Tensor out =
      in_kernel
          ? gat::ops::fused_attention(in.projected, in.scores, c.plan, 0.2, {}, e.epilogue())
          : gat::ops::apply_epilogue(gat::ops::fused_attention(in.projected, in.scores, c.plan, 0.2, {}), e.epilogue());
  (out * in.weights).sum().backward();
  std::vector<torch::Tensor> r{out.detach()};
  for (const torch::Tensor& t : {in.projected, in.scores, e.residual, e.weight, e.bias}) r.push_back(t.grad().clone());
  return r;
}

const char* kEpilogueWhat[] = {"output", "d projected", "d scores", "d residual", "d weight", "d bias"};

// The kernel's epilogue against LibTorch's ops on the kernel's own output, and across runs and
// thread counts.
TEST(FusedAttention, EpilogueMatchesLibTorchOpsAndIsBitwiseIdenticalAcrossThreadCounts) {
  const EpilogueCase c = epilogue_case(torch::kCPU);
  const std::vector<torch::Tensor> by_ops = run_epilogue(c, false);
  ASSERT_TRUE((by_ops[0] < 0).any().item<bool>() && (by_ops[0] > 0).any().item<bool>());
  const int before = at::get_num_threads();
  std::vector<std::vector<torch::Tensor>> results;
  for (int threads : {1, 1, 2, 3}) {
    at::set_num_threads(threads);
    results.push_back(run_epilogue(c, true));
  }
  at::set_num_threads(before);
  for (int i = 0; i < 6; ++i) {
    EXPECT_LT(rel_error(results[0][i], by_ops[i]), 1e-5) << kEpilogueWhat[i];
    // The residual weight's gradient is LibTorch's product of the kernel's d residual and the
    // input, which OpenBLAS cuts differently for 2 and 3 threads; the same count gives the same bits.
    for (std::size_t r = 1; r < (i == 4 ? 2 : results.size()); ++r)
      EXPECT_TRUE(torch::equal(results[r][i], results[0][i])) << kEpilogueWhat[i] << ", run " << r;
  }
}

// The same on a GPU, whose kernels do the epilogue in the aggregate's writes and its backward in a
// pass of their own: against LibTorch's ops there at 1e-5, and the same bits run again.
TEST(FusedAttentionCuda, EpilogueMatchesLibTorchOpsAndIsBitwiseRepeatable) {
  GAT_SKIP_WITHOUT(torch::kCUDA);
  const EpilogueCase c = epilogue_case(torch::kCUDA);
  const std::vector<torch::Tensor> by_ops = run_epilogue(c, false), in_kernel = run_epilogue(c, true),
                                   again = run_epilogue(c, true);
  for (int i = 0; i < 6; ++i) {
    EXPECT_LT(rel_error(in_kernel[i], by_ops[i]), 1e-5) << kEpilogueWhat[i];
    EXPECT_TRUE(torch::equal(again[i], in_kernel[i])) << kEpilogueWhat[i] << ", run again";
  }
}

// At train.precision: bf16 the GPU's kernels read Wh rounded to bfloat16 and compute and write in
// float32: against the float64 dense form on the CPU of Wh rounded to bfloat16, with dropout, at 1e-5
// (float32's error alone), Wh's gradient included, which comes back in float32. PPI's widths take
// the 4- and 2-wide bfloat16 loads; 9 heads of 8 the general aggregate.
TEST(FusedAttentionCuda, Bfloat16ReadsMatchFloat64OnTheRoundedValues) {
  GAT_SKIP_WITHOUT(torch::kCUDA);
  const int64_t n = 300;
  const EdgePlan plan = make_edge_plan(hub_graph(n, 4), n, true);
  for (const auto& [h, f] : std::vector<std::pair<int64_t, int64_t>>{{4, 300}, {6, 121}, {9, 8}}) {
    const Inputs in = random_inputs(n, h, f, torch::kFloat32, 8, torch::kCUDA);
    Inputs rounded = random_inputs(n, h, f, torch::kFloat64, 8);
    rounded.projected = in.projected.detach().to(torch::kBFloat16).cpu().to(torch::kFloat64).requires_grad_();
    const auto expected = run(AttentionImpl::kDense, rounded, plan, 0.3, 2);
    const EdgePlan on_gpu = gat::to_device(plan, torch::kCUDA);
    const auto got = run(AttentionImpl::kFused, in, on_gpu, 0.3, 2, gat::Precision::kBf16);
    ASSERT_EQ(got[1].scalar_type(), torch::kFloat32) << "Wh's gradient, " << h << " heads of " << f;
    for (int i = 0; i < 3; ++i)
      EXPECT_LT(rel_error(got[i].cpu().to(torch::kFloat64), expected[i]), 1e-5)
          << kWhat[i] << ", " << h << " heads of " << f;
    // Rounding moves each value of Wh by up to 2^-9 of itself: the output, by more than float32's error.
    EXPECT_GT(rel_error(got[0], run(AttentionImpl::kDense, in, on_gpu, 0.3, 2)[0]), 1e-5)
        << h << " heads of " << f << ": Wh was not read in bfloat16";
  }
}

// On the CPU the layer's precision leaves the attention as it is (bfloat16 rows did not pay there):
// the same bits at bf16 as at fp32. Wh and the scores of two dtypes are refused.
TEST(FusedAttention, Bfloat16LeavesTheCpuKernelsAsTheyAreAndMixedDtypesAreAnError) {
  const EdgePlan plan = make_edge_plan(hub_graph(40, 4), 40, true);
  const Inputs in = random_inputs(40, 2, 8, torch::kFloat32, 6);
  const auto fp32 = run(AttentionImpl::kFused, in, plan, 0.3, 2);
  const auto bf16 = run(AttentionImpl::kFused, in, plan, 0.3, 2, gat::Precision::kBf16);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(torch::equal(bf16[i], fp32[i])) << kWhat[i];
  EXPECT_EQ(gat::testing::error_of(
                [&] { gat::ops::fused_attention(in.projected.to(torch::kBFloat16), in.scores, plan, 0.2, {}, {}); }),
            "fused_attention: projected must be of the scores' dtype; got BFloat16 projected and Float scores");
  EXPECT_EQ(gat::testing::error_of(
                [&] { gat::ops::fused_attention(in.projected, in.scores.to(torch::kFloat64), plan, 0.2, {}, {}); }),
            "fused_attention: projected must be of the scores' dtype; got Float projected and Double scores");
}

// The kernels read the epilogue's tensors by pointer: one on another device is refused by name.
TEST(FusedAttention, AnEpilogueTensorOnAnotherDeviceIsAnError) {
  const EdgePlan plan = make_edge_plan(hub_graph(9, 4), 9, true);
  const Inputs in = random_inputs(9, 2, 3, torch::kFloat32, 6);
  gat::ops::Epilogue on_meta;
  on_meta.bias = torch::empty({6}, torch::TensorOptions(torch::kMeta).dtype(torch::kFloat32));
  EXPECT_EQ(gat::testing::error_of([&] { gat::ops::fused_attention(in.projected, in.scores, plan, 0.2, {}, on_meta); }),
            "fused_attention: the dropout mask, residual and bias must be on cpu, one is on meta");
}

// The kernel's ELU epilogue on x, one value a node, each node's only edge its self loop (so that
// the attention's output is its own projected row).
torch::Tensor fused_elu(const torch::Tensor& x) {
  const int64_t n = x.size(0);
  const EdgePlan plan = make_edge_plan(torch::zeros({2, 0}, torch::kInt64), n, true);
  gat::ops::Epilogue elu;
  elu.elu = true;
  return gat::ops::fused_attention(x.view({n, 1, 1}), torch::zeros({n, 1, 2}), plan, 0.2, {}, elu).view({n});
}

// The fused ELU's e^x - 1 in float: within 2 ulps of 1 of float64's expm1 over the whole negative
// range, -1 below the smallest normal float's logarithm, and the input itself above 0.
TEST(FusedAttention, EpilogueEluOfFloatsIsWithinTwoUlpsOfFloat64) {
  std::vector<double> values{0.0, -1e-30, -1e-8, -1e-3, -0.5, -1.0, -10.0, -87.0, -87.5, -88.0, -200.0, 1e-8, 3.0};
  for (int i = 0; i <= 20000; ++i) values.push_back(-100.0 * i / 20000);
  const torch::Tensor x = torch::tensor(values, torch::kFloat64).to(torch::kFloat32);
  const torch::Tensor out = fused_elu(x);
  const torch::Tensor xd = x.to(torch::kFloat64);
  const torch::Tensor expected = torch::where(xd > 0, xd, torch::expm1(xd));
  EXPECT_LE((out.to(torch::kFloat64) - expected).abs().max().item<double>(), 2 * std::ldexp(1.0, -24));
  EXPECT_TRUE(out.masked_select(xd < -88).eq(-1).all().item<bool>());
  EXPECT_TRUE(out.masked_select(xd > 0).equal(x.masked_select(xd > 0)));
}

// ELU passes a NaN on as a NaN, so that a diverged step shows in the loss (the trainer's check),
// and takes -inf to -1 and +inf to itself, as LibTorch's elu does; the fast e^x - 1 keeps a NaN out
// of its integer conversion, where C++ leaves the result undefined (UBSan caught it).
TEST(FusedAttention, EpilogueEluPassesANaNOnAndTakesInfinitiesAsLibTorchDoes) {
  const float inf = std::numeric_limits<float>::infinity();
  const torch::Tensor x = torch::tensor({std::nanf(""), -inf, inf, -1.0f, 2.0f});
  const torch::Tensor out = fused_elu(x);
  EXPECT_TRUE(out.allclose(torch::elu(x), 1e-6, 0, /*equal_nan=*/true)) << out;
  EXPECT_TRUE(std::isnan(out[0].item<float>()));
}

}  // namespace
