// Evaluation of a graph trained on clusters, layer by layer in parts of the targets, against one
// whole-graph forward (the reference form), and a clustered batch against its subgraph cut by hand.
#include <gtest/gtest.h>

#include "common/edge_plan.h"
#include "data/batch_source.h"
#include "data/graph_dataset.h"
#include "dist/communicator.h"
#include "model/gat.h"
#include "train/evaluation.h"

namespace {

using gat::data::BatchSource;
using gat::data::BatchSourceOptions;

const std::string kClusters = std::string(GAT_TEST_DATA) + "/clusters.h5";

// wide: a first hidden layer of 2 x 260, so that the second layer's input passes
// GATConv's kOneProductInputs and its residual's projection comes from project()'s one product.
gat::model::GAT model_for(const gat::data::GraphDataset& d, bool residual,
                          gat::Normalization norm = gat::Normalization::kNone, bool wide = false) {
  torch::manual_seed(7);
  gat::model::GATOptions options(d.num_features(), d.num_classes);
  options.hidden_channels({wide ? 260 : 6, 5}).heads({wide ? 2 : 3, 2, 2}).norm(norm);
  options.conv().residual(residual);
  return gat::model::GAT(options);
}

TEST(WholeGraphEval, PartsOfTheTargetsGiveTheWholeGraphForward) {
  const auto d = gat::data::load_graph_dataset(kClusters);
  BatchSourceOptions options;
  options.clusters_per_batch = 3;
  options.normalize_features = true;
  BatchSource batches(d, options, torch::kCPU);
  gat::dist::LocalCommunicator alone;
  // Residual, LayerNorm (both per node) and a wide layer in turn.
  for (const auto& [residual, norm, wide] :
       {std::tuple{false, gat::Normalization::kNone, false}, std::tuple{true, gat::Normalization::kNone, false},
        std::tuple{true, gat::Normalization::kLayer, false}, std::tuple{true, gat::Normalization::kNone, true}}) {
    gat::model::GAT model = model_for(d, residual, norm, wide);
    model->eval();
    torch::NoGradGuard no_grad;
    const torch::Tensor x = gat::data::rows_summing_to_one(d.features);
    const torch::Tensor whole = model->forward_planned(x, gat::make_edge_plan(d.edge_index, d.num_nodes(), true));
    // 1 << 22 edges: one part; 64: about 25 parts; 1: a part per node.
    for (const int64_t part_edges : {int64_t{1} << 22, int64_t{64}, int64_t{1}}) {
      const torch::Tensor parts = gat::train::whole_graph_logits(model, batches, alone, part_edges);
      EXPECT_TRUE(torch::allclose(parts, whole, 1e-5, 1e-6))
          << residual << " " << static_cast<int>(norm) << " " << wide << " " << part_edges << ": "
          << (parts - whole).abs().max().item<double>();
    }
  }
}

// A step's groups: each is the subgraph its clusters induce, numbered in cluster order, scoring
// its training nodes; the global count of training nodes is the loss's denominator.
TEST(WholeGraphEval, AClusterStepIsTheSubgraphItsClustersInduce) {
  const auto d = gat::data::load_graph_dataset(kClusters);
  BatchSourceOptions options;
  options.clusters_per_batch = 2;
  BatchSource batches(d, options, torch::kCPU);
  const auto ptr = d.partition->cluster_ptr;
  const std::vector<int64_t> clusters = {5, 2};  // one group of two, in ascending order: 2 then 5
  const gat::data::StepBatch step = batches.step(clusters);
  ASSERT_TRUE(step.mine);
  std::vector<int64_t> rows;
  for (int64_t c : {2, 5})
    for (int64_t r = ptr[c].item<int64_t>(); r < ptr[c + 1].item<int64_t>(); ++r) rows.push_back(r);
  const torch::Tensor row_ids = torch::tensor(rows, torch::kInt64);
  EXPECT_TRUE(step.mine->x.to_dense().equal(d.features.index_select(0, row_ids)));
  // The induced subgraph by brute force: every stored edge with both ends among the rows.
  std::map<int64_t, int64_t> local;
  for (std::size_t i = 0; i < rows.size(); ++i) local[rows[i]] = static_cast<int64_t>(i);
  std::vector<int64_t> src, dst;
  const auto e = d.edge_index.accessor<int64_t, 2>();
  for (int64_t j = 0; j < d.num_edges(); ++j)
    if (local.count(e[0][j]) && local.count(e[1][j])) src.push_back(local[e[0][j]]), dst.push_back(local[e[1][j]]);
  const gat::EdgePlan expected = gat::make_edge_plan(torch::stack({torch::tensor(src), torch::tensor(dst)}),
                                                     static_cast<int64_t>(rows.size()), true);
  EXPECT_TRUE(step.mine->plan.edge_index.equal(expected.edge_index));
  std::vector<int64_t> scored;
  const torch::Tensor train = d.train.ids;
  for (std::size_t i = 0; i < rows.size(); ++i)
    if ((train == rows[i]).any().item<bool>()) scored.push_back(static_cast<int64_t>(i));
  EXPECT_TRUE(step.mine->scored.equal(torch::tensor(scored, torch::kInt64)));
  EXPECT_EQ(step.nodes, static_cast<int64_t>(scored.size()));
  ASSERT_EQ(step.mine->graphs.size(), 1u);
  EXPECT_EQ(step.mine->graphs[0].graph, 2);
  EXPECT_EQ(step.mine->graphs[0].nodes, static_cast<int64_t>(rows.size()));
  EXPECT_EQ(step.mine->graphs[0].edges, expected.num_edges());
}

}  // namespace
