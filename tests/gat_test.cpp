// The GAT stack: layers as configured, gradients against finite differences, the per-node baseline
// without edges, and the attention it reports.
#include <gtest/gtest.h>

#include "model/gat.h"
#include "model/gat_conv.h"
#include "support/finite_differences.h"
#include "support/random_graph.h"

using gat::Normalization;
using gat::model::GAT;
using gat::model::GATConv;
using gat::model::GATConvOptions;
using gat::model::GATOptions;

namespace {

using gat::testing::random_graph;

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
  for (const Normalization norm : {Normalization::kNone, Normalization::kLayer}) {
    torch::manual_seed(4);
    GAT model(GATOptions(3, 2).hidden_channels({2}).heads({2, 2}).norm(norm).conv(GATConvOptions(0, 0).residual(true)));
    model->to(torch::kFloat64);
    const torch::Tensor x = torch::randn({6, 3}, torch::kFloat64);
    const torch::Tensor edges = random_graph(6, 0.4, false, 8);
    gat::testing::expect_gradients_match_finite_differences(
        model->parameters(), [&] { return model(x, edges).sin().sum(); }, 1e-6);
  }
}

// model.norm: layer puts a LayerNorm over each hidden layer's concatenated heads between the layer
// and its ELU, h <- ELU(gamma * (h - mean) / sqrt(var + 1e-5) + beta), the statistics per node;
// the output layer stays as it is. Without it, no parameter is added.
TEST(GAT, LayerNormNormalisesEachHiddenOutputBeforeItsELU) {
  const GATOptions options = GATOptions(5, 3).hidden_channels({4, 3}).heads({2, 3, 2});
  EXPECT_EQ(GAT(options)->named_parameters().size(), 12u);
  torch::manual_seed(8);
  GAT model(GATOptions(options).norm(Normalization::kLayer));
  model->to(torch::kFloat64);
  model->eval();
  ASSERT_EQ(model->named_parameters().size(), 16u);
  ASSERT_EQ(model->named_parameters()["norms.1.weight"].sizes(), torch::IntArrayRef({9}));
  for (auto& p : model->norms->parameters()) p.data().uniform_(-2, 2);  // not the identity 1, 0
  const int64_t n = 10;
  const torch::Tensor x = torch::randn({n, 5}, torch::kFloat64);
  const gat::EdgePlan plan = gat::make_edge_plan(random_graph(n, 0.3, false, 5), n, true);
  torch::Tensor h = x;
  for (std::size_t l = 0; l < 3; ++l) {
    h = model->conv(l)->forward_planned(h, plan);
    if (l == 2) break;
    const torch::Tensor mean = h.mean(1, true), var = (h - mean).pow(2).mean(1, true);
    const auto& params = model->named_parameters();
    const std::string name = "norms." + std::to_string(l);
    h = torch::elu((h - mean) / (var + 1e-5).sqrt() * params[name + ".weight"] + params[name + ".bias"]);
  }
  EXPECT_LT((model->forward_planned(x, plan) - h).abs().max().item<double>(), 1e-12);
}

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

// The alpha a GAT reports (for gat_explain) is the one its layers apply: each layer's output is
// the alpha-weighted sum of the neighbours' projected features, and reporting changes nothing.
TEST(GAT, ReportedAttentionIsWhatEachLayerApplies) {
  torch::manual_seed(7);
  GAT model(GATOptions(5, 3).hidden_channels({4}).heads({3, 2}).conv(GATConvOptions(0, 0).bias(false)));
  model->to(torch::kFloat64);
  model->eval();
  const int64_t n = 12;
  const torch::Tensor x = torch::randn({n, 5}, torch::kFloat64);
  const gat::EdgePlan plan = gat::make_edge_plan(random_graph(n, 0.25, false, 9), n, true);
  std::vector<torch::Tensor> alpha;
  const torch::Tensor logits = model->forward_planned(x, plan, nullptr, &alpha);
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
    ASSERT_EQ(conv->options.elu(), l == 0);  // the hidden layer does the model's ELU
    if (l == 0) expected = torch::elu(expected);
    const torch::Tensor out = conv->forward_planned(h, plan);
    EXPECT_LT((out - expected).abs().max().item<double>(), 1e-12) << "layer " << l;
    h = out;
  }
  EXPECT_LT((h - logits).abs().max().item<double>(), 1e-12);
}

}  // namespace
