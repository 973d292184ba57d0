// The fused, sparse and dense attention forms agree in outputs and every gradient of a GATConv;
// attention is a distribution over each node's in-neighbours and exactly zero elsewhere.
#include <gtest/gtest.h>

#include "model/gat_conv.h"
#include "ops/attention.h"
#include "support/random_graph.h"
#include "support/rel_error.h"

using gat::AttentionImpl;
using gat::model::GATConv;
using gat::model::GATConvOptions;

namespace {

using gat::testing::random_graph;
using gat::testing::rel_error;

struct Case {
  int64_t n;
  double p;
  bool undirected;
  bool self_loops;
};

class AttentionAgreement : public ::testing::TestWithParam<std::tuple<Case, torch::Dtype>> {};

// Layers whose epilogue (residual, bias, ELU) the fused form does in its kernel, and one whose
// heads are averaged first.
struct Layer {
  std::string name;
  GATConvOptions options;
};

std::vector<Layer> layers() {
  return {{"residual_product", GATConvOptions(5, 4).heads(3).residual(true)},
          {"residual_product_elu", GATConvOptions(5, 4).heads(3).residual(true).elu(true)},
          {"identity_residual_elu", GATConvOptions(5, 5).heads(1).residual(true).elu(true)},
          {"elu_no_bias", GATConvOptions(5, 4).heads(3).bias(false).elu(true)},
          {"one_head_averaged", GATConvOptions(5, 4).heads(1).concat(false).residual(true)},
          {"heads_averaged_elu", GATConvOptions(5, 4).heads(3).concat(false).elu(true)}};
}

TEST_P(AttentionAgreement, FusedAndSparseEqualDenseInOutputsAndGradients) {
  const auto [c, dtype] = GetParam();
  const double tol = dtype == torch::kFloat64 ? 1e-10 : 1e-5;
  const torch::Tensor edges = random_graph(c.n, c.p, c.undirected, 7);
  for (const Layer& layer : layers()) {
    torch::manual_seed(3);
    const torch::Tensor x = torch::randn({c.n, 5}, dtype).requires_grad_();
    std::vector<torch::Tensor> outputs;
    std::vector<std::vector<torch::Tensor>> grads;  // the parameters', then the input's
    for (AttentionImpl impl : {AttentionImpl::kFused, AttentionImpl::kSparse, AttentionImpl::kDense}) {
      torch::manual_seed(11);  // same parameters for all three
      GATConv conv(GATConvOptions(layer.options).add_self_loops(c.self_loops).attention(impl));
      conv->to(dtype);
      x.mutable_grad() = torch::Tensor();
      const torch::Tensor out = conv(x, edges);
      // A random projection makes every output element matter to the loss.
      torch::manual_seed(5);
      (out * torch::randn_like(out)).sum().backward();
      outputs.push_back(out.detach());
      std::vector<torch::Tensor> g;
      for (const auto& p : conv->parameters()) g.push_back(p.grad().clone());
      g.push_back(x.grad().clone());
      grads.push_back(g);
    }
    for (int impl : {0, 1}) {  // fused, sparse against dense
      EXPECT_LT(rel_error(outputs[impl], outputs[2]), tol) << layer.name << ", impl " << impl;
      for (std::size_t i = 0; i < grads[0].size(); ++i)
        EXPECT_LT(rel_error(grads[impl][i], grads[2][i]), tol)
            << layer.name << ", impl " << impl << (i + 1 < grads[0].size() ? ", parameter " : ", input ") << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(RandomGraphs, AttentionAgreement,
                         ::testing::Combine(::testing::Values(Case{30, 0.1, false, true}, Case{30, 0.1, true, true},
                                                              Case{40, 0.03, false, false},  // isolated nodes, no loops
                                                              Case{25, 0.5, true, false}, Case{1, 0.0, false, true}),
                                            ::testing::Values(torch::kFloat32, torch::kFloat64)),
                         [](const auto& info) {
                           const Case& c = std::get<0>(info.param);
                           return "n" + std::to_string(c.n) + "_p" + std::to_string(static_cast<int>(c.p * 100)) +
                                  (c.undirected ? "_undirected" : "_directed") +
                                  (c.self_loops ? "_loops" : "_noloops") +
                                  (std::get<1>(info.param) == torch::kFloat64 ? "_f64" : "_f32");
                         });

TEST(Attention, CoefficientsSumToOneOverNeighboursAndAreZeroOffEdges) {
  const int64_t n = 40;
  const torch::Tensor edges = gat::make_edge_plan(random_graph(n, 0.08, false, 1), n, true).edge_index;
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
  const gat::EdgePlan plan = gat::make_edge_plan(edges, 3, false);
  const torch::Tensor wh = torch::randn({3, 1, 2});
  const torch::Tensor s = torch::randn({3, 1});
  for (AttentionImpl impl : {AttentionImpl::kFused, AttentionImpl::kSparse, AttentionImpl::kDense}) {
    const torch::Tensor out = gat::ops::gat_attention(impl, wh, torch::stack({s, s}, 2), plan, 0.2, 0.0, false, {});
    EXPECT_TRUE(out[2].eq(0).all().item<bool>());
    EXPECT_TRUE(torch::allclose(out[0], wh[1]));  // the only neighbour gets weight 1
  }
}

}  // namespace
