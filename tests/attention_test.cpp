// The fused, sparse and dense attention forms agree in outputs and every gradient of a GATConv;
// attention is a distribution over each node's in-neighbours and exactly zero elsewhere.
#include <gtest/gtest.h>

#include "model/gat.h"
#include "model/gat_conv.h"
#include "ops/attention.h"
#include "support/finite_differences.h"
#include "support/rel_error.h"

using gat::model::GAT;
using gat::model::GATConv;
using gat::model::GATConvOptions;
using gat::model::GATOptions;
using gat::AttentionImpl;

namespace {

using gat::testing::rel_error;

// A duplicate-free random graph on n nodes with edge probability p; undirected graphs hold both
// directions. Some nodes end up isolated when p is small.
torch::Tensor random_graph(int64_t n, double p, bool undirected, uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  torch::Tensor adj = torch::rand({n, n}, gen) < p;
  if (undirected) adj = adj.triu(1) | adj.triu(1).t();
  return adj.nonzero().t().contiguous();  // rows (source, target)
}

struct Case {
  int64_t n;
  double p;
  bool undirected;
  bool self_loops;
};

class AttentionAgreement : public ::testing::TestWithParam<std::tuple<Case, torch::Dtype>> {};

TEST_P(AttentionAgreement, FusedAndSparseEqualDenseInOutputsAndGradients) {
  const auto [c, dtype] = GetParam();
  const double tol = dtype == torch::kFloat64 ? 1e-10 : 1e-5;
  const torch::Tensor edges = random_graph(c.n, c.p, c.undirected, 7);
  torch::manual_seed(3);
  const torch::Tensor x = torch::randn({c.n, 5}, dtype);
  std::vector<torch::Tensor> outputs;
  std::vector<std::vector<torch::Tensor>> grads;
  for (AttentionImpl impl : {AttentionImpl::kFused, AttentionImpl::kSparse, AttentionImpl::kDense}) {
    torch::manual_seed(11);  // same parameters for both
    GATConv conv(GATConvOptions(5, 4).heads(3).add_self_loops(c.self_loops).residual(true).attention(impl));
    conv->to(dtype);
    const torch::Tensor out = conv(x, edges);
    // A random projection makes every output element matter to the loss.
    torch::manual_seed(5);
    (out * torch::randn_like(out)).sum().backward();
    outputs.push_back(out.detach());
    std::vector<torch::Tensor> g;
    for (const auto& p : conv->parameters()) g.push_back(p.grad().clone());
    grads.push_back(g);
  }
  for (int impl : {0, 1}) {  // fused, sparse against dense
    EXPECT_LT(rel_error(outputs[impl], outputs[2]), tol) << "impl " << impl;
    for (std::size_t i = 0; i < grads[0].size(); ++i)
      EXPECT_LT(rel_error(grads[impl][i], grads[2][i]), tol) << "impl " << impl << " parameter " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(
    RandomGraphs, AttentionAgreement,
    ::testing::Combine(::testing::Values(Case{30, 0.1, false, true}, Case{30, 0.1, true, true},
                                         Case{40, 0.03, false, false},  // isolated nodes, no loops
                                         Case{25, 0.5, true, false}, Case{1, 0.0, false, true}),
                       ::testing::Values(torch::kFloat32, torch::kFloat64)),
    [](const auto& info) {
      const Case& c = std::get<0>(info.param);
      return "n" + std::to_string(c.n) + "_p" + std::to_string(static_cast<int>(c.p * 100)) +
             (c.undirected ? "_undirected" : "_directed") + (c.self_loops ? "_loops" : "_noloops") +
             (std::get<1>(info.param) == torch::kFloat64 ? "_f64" : "_f32");
    });

TEST(Attention, CoefficientsSumToOneOverNeighboursAndAreZeroOffEdges) {
  const int64_t n = 40;
  const torch::Tensor edges = gat::ops::make_edge_plan(random_graph(n, 0.08, false, 1), n, true).edge_index;
  torch::manual_seed(0);
  const torch::Tensor ss = torch::randn({n, 2}, torch::kFloat64), sd = torch::randn({n, 2}, torch::kFloat64);
  const torch::Tensor alpha = gat::ops::attention_coefficients_sparse(ss, sd, edges, 0.2);  // [E, H]
  const torch::Tensor sums = torch::zeros({n, 2}, torch::kFloat64).index_add(0, edges[1], alpha);
  EXPECT_LT((sums - 1).abs().max().item<double>(), 1e-12);
  EXPECT_TRUE((alpha > 0).all().item<bool>());

  const torch::Tensor dense = gat::ops::attention_coefficients_dense(ss, sd, edges, 0.2);  // [H, N, N]
  torch::Tensor on_edge = torch::zeros({n, n}, torch::kBool);
  on_edge.index_put_({edges[1], edges[0]}, true);
  EXPECT_TRUE(dense.masked_select(on_edge.logical_not().expand_as(dense)).eq(0).all().item<bool>());
  EXPECT_LT((dense.sum(2) - 1).abs().max().item<double>(), 1e-12);
  // The same numbers as the sparse form, edge by edge.
  const torch::Tensor picked = dense.index({torch::indexing::Slice(), edges[1], edges[0]}).t();
  EXPECT_LT((picked - alpha).abs().max().item<double>(), 1e-14);
}

TEST(Attention, NodeWithoutIncomingEdgesGetsZeros) {
  const torch::Tensor edges = torch::tensor({{0, 1}, {1, 0}}, torch::kInt64);  // node 2 isolated
  const gat::ops::EdgePlan plan = gat::ops::make_edge_plan(edges, 3, false);
  const torch::Tensor wh = torch::randn({3, 1, 2});
  const torch::Tensor s = torch::randn({3, 1});
  for (AttentionImpl impl : {AttentionImpl::kFused, AttentionImpl::kSparse, AttentionImpl::kDense}) {
    const torch::Tensor out = gat::ops::gat_attention(impl, wh, torch::stack({s, s}, 2), plan, 0.2, 0.0, false);
    EXPECT_TRUE(out[2].eq(0).all().item<bool>());
    EXPECT_TRUE(torch::allclose(out[0], wh[1]));  // the only neighbour gets weight 1
  }
}

TEST(GATConv, ShapesAndParameterNames) {
  GATConv concat(GATConvOptions(6, 4).heads(3));
  GATConv mean(GATConvOptions(6, 4).heads(3).concat(false).residual(true));
  const torch::Tensor x = torch::randn({5, 6});
  const torch::Tensor edges = random_graph(5, 0.4, true, 2);
  EXPECT_EQ(concat(x, edges).sizes(), torch::IntArrayRef({5, 12}));
  EXPECT_EQ(mean(x, edges).sizes(), torch::IntArrayRef({5, 4}));
  std::vector<std::string> names;
  for (const auto& item : mean->named_parameters()) names.push_back(item.key());
  EXPECT_EQ(names, std::vector<std::string>({"att_src", "att_dst", "bias", "lin.weight", "res.weight"}));
  // Residual with equal sizes is the identity: no extra parameters.
  GATConv same(GATConvOptions(12, 4).heads(3).residual(true));
  EXPECT_FALSE(same->res);
}

TEST(GATConv, StoredSelfLoopsAreNotCountedTwice) {
  const torch::Tensor x = torch::randn({6, 3});
  const torch::Tensor edges = random_graph(6, 0.5, true, 4);
  torch::manual_seed(1);
  GATConv conv(GATConvOptions(3, 2).heads(2));
  const torch::Tensor with_loops = torch::cat({edges, torch::arange(6).repeat({2, 1})}, 1);
  EXPECT_TRUE(torch::allclose(conv(x, edges), conv(x, with_loops)));
}

TEST(GATConv, SparseInputFeaturesGiveTheSameOutputAndGradients) {
  torch::manual_seed(0);
  const torch::Tensor x = torch::randn({20, 10}, torch::kFloat64) * (torch::rand({20, 10}) < 0.2);
  const torch::Tensor edges = random_graph(20, 0.2, true, 5);
  GATConv conv(GATConvOptions(10, 3).heads(2).residual(true));
  conv->to(torch::kFloat64);
  std::vector<torch::Tensor> outs, grads;
  for (const torch::Tensor& input : {x, x.to_sparse()}) {
    conv->zero_grad();
    const torch::Tensor out = conv(input, edges);
    out.pow(2).sum().backward();
    outs.push_back(out.detach());
    grads.push_back(conv->lin->weight.grad().clone());
  }
  EXPECT_LT(rel_error(outs[1], outs[0]), 1e-12);
  EXPECT_LT(rel_error(grads[1], grads[0]), 1e-12);
}

TEST(GATConv, RenumberingNodesPermutesOutputs) {
  const int64_t n = 15;
  torch::manual_seed(2);
  const torch::Tensor x = torch::randn({n, 4}, torch::kFloat64);
  const torch::Tensor edges = random_graph(n, 0.2, false, 9);
  const torch::Tensor perm = torch::randperm(n);          // new id of old node i is inverse[i]
  const torch::Tensor inverse = torch::argsort(perm);
  GATConv conv(GATConvOptions(4, 3).heads(2));
  conv->to(torch::kFloat64);
  const torch::Tensor out = conv(x, edges);
  const torch::Tensor out_perm = conv(x.index_select(0, perm), inverse.index({edges}));
  EXPECT_LT((out_perm - out.index_select(0, perm)).abs().max().item<double>(), 1e-12);
}

TEST(GAT, StacksLayersAsConfigured) {
  GAT model(GATOptions(10, 7).hidden_channels({8}).heads({8, 1}));
  ASSERT_EQ(model->layers->size(), 2u);
  EXPECT_EQ(model->conv(0)->output_channels(), 64);
  EXPECT_EQ(model->conv(1)->options.in_channels(), 64);
  EXPECT_FALSE(model->conv(1)->options.concat());
  const torch::Tensor logits = model(torch::randn({9, 10}), random_graph(9, 0.3, true, 3));
  EXPECT_EQ(logits.sizes(), torch::IntArrayRef({9, 7}));
  EXPECT_TRUE(model->named_parameters().contains("layers.1.att_src"));
}

TEST(GAT, GradientsMatchFiniteDifferencesInFloat64) {
  torch::manual_seed(4);
  GAT model(GATOptions(3, 2).hidden_channels({2}).heads({2, 2}).conv(GATConvOptions(0, 0).residual(true)));
  model->to(torch::kFloat64);
  const torch::Tensor x = torch::randn({6, 3}, torch::kFloat64);
  const torch::Tensor edges = random_graph(6, 0.4, false, 8);
  gat::testing::expect_gradients_match_finite_differences(model->parameters(),
                                                          [&] { return model(x, edges).sin().sum(); }, 1e-6);
}

}  // namespace

namespace {

TEST(GAT, WithoutEdgesEachNodeSeesOnlyItself) {
  // The per-node MLP baseline (data.ignore_edges): a node's logits are those of the node alone.
  torch::manual_seed(6);
  GAT model(GATOptions(4, 3).hidden_channels({5}).heads({2, 2}).conv(GATConvOptions(0, 0).residual(true)));
  model->to(torch::kFloat64);
  const torch::Tensor x = torch::randn({7, 4}, torch::kFloat64);
  const torch::Tensor none = torch::zeros({2, 0}, torch::kInt64);
  const torch::Tensor all = model(x, none);
  for (int64_t i = 0; i < 7; ++i)
    EXPECT_LT((all[i] - model(x.slice(0, i, i + 1), none)[0]).abs().max().item<double>(), 1e-12);
}

}  // namespace

namespace {

// The alpha a GAT reports (for gat_explain) is the one its layers apply: each layer's output is
// the alpha-weighted sum of the neighbours' projected features, and reporting changes nothing.
TEST(GAT, ReportedAttentionIsWhatEachLayerApplies) {
  torch::manual_seed(7);
  GAT model(GATOptions(5, 3).hidden_channels({4}).heads({3, 2}).conv(GATConvOptions(0, 0).bias(false)));
  model->to(torch::kFloat64);
  model->eval();
  const int64_t n = 12;
  const torch::Tensor x = torch::randn({n, 5}, torch::kFloat64);
  const gat::ops::EdgePlan plan = gat::ops::make_edge_plan(random_graph(n, 0.25, false, 9), n, true);
  std::vector<torch::Tensor> alpha;
  const torch::Tensor logits = model->forward_planned(x, plan, &alpha);
  ASSERT_EQ(alpha.size(), 2u);
  EXPECT_TRUE(logits.equal(model(x, random_graph(n, 0.25, false, 9))));

  torch::Tensor h = x;
  for (std::size_t l = 0; l < 2; ++l) {
    GATConv conv = model->conv(l);
    const int64_t heads = conv->options.heads(), f = conv->options.out_channels();
    ASSERT_EQ(alpha[l].sizes(), torch::IntArrayRef({plan.num_edges(), heads}));
    const torch::Tensor wh = torch::mm(h, conv->lin->weight.t()).view({n, heads, f});
    // out_i = sum over edges j -> i of alpha_ij^k W^k h_j, per head k (eq. 4 before the nonlinearity)
    const torch::Tensor messages = alpha[l].unsqueeze(2) * wh.index_select(0, plan.edge_index[0]);
    torch::Tensor expected = torch::zeros({n, heads, f}, torch::kFloat64).index_add(0, plan.edge_index[1], messages);
    expected = conv->options.concat() ? expected.reshape({n, heads * f}) : expected.mean(1);
    const torch::Tensor out = conv->forward_planned(h, plan);
    EXPECT_LT((out - expected).abs().max().item<double>(), 1e-12) << "layer " << l;
    h = l == 0 ? torch::elu(out) : out;
  }
  EXPECT_LT((h - logits).abs().max().item<double>(), 1e-12);
}

}  // namespace
