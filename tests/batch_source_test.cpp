// The batch source against batches cut by hand from the dataset: each rank's share of a step, the
// counts every rank shares, the plans, and the node-level batch.
#include <gtest/gtest.h>

#include "common/edge_plan.h"
#include "data/batch_source.h"
#include "data/graph_ids.h"
#include "data/graph_shares.h"
#include "data/random_graphs.h"

namespace {

using gat::data::Batch;
using gat::data::BatchSource;
using gat::data::BatchSourceOptions;
using gat::data::GraphDataset;
using torch::indexing::Slice;

GraphDataset graphs_dataset() {
  gat::data::RandomGraphsOptions options;
  options.graphs = 5, options.nodes = 12, options.degree = 3, options.features = 6, options.classes = 4;
  return gat::data::random_graphs(options);
}

BatchSourceOptions options_for(int64_t rank, int64_t ranks, bool self_loops = true,
                               gat::Shares shares = gat::Shares::kBalanced) {
  BatchSourceOptions options;
  options.add_self_loops = self_loops;
  options.eval_graphs = 2;
  options.rank = rank;
  options.ranks = ranks;
  options.shares = shares;
  return options;
}

// The naive batch of `graphs`: their rows of features and labels, and the plan of their edges
// renumbered by hand.
Batch reference_batch(const GraphDataset& dataset, const std::vector<int64_t>& graphs, bool self_loops) {
  const auto node_ptr = dataset.graph_ptr.accessor<int64_t, 1>();
  const auto edge_ptr = dataset.edge_ptr.accessor<int64_t, 1>();
  std::vector<torch::Tensor> xs, ys, edges;
  int64_t offset = 0;
  for (int64_t g : graphs) {
    xs.push_back(dataset.features.index({Slice(node_ptr[g], node_ptr[g + 1])}));
    ys.push_back(dataset.labels.index({Slice(node_ptr[g], node_ptr[g + 1])}));
    edges.push_back(dataset.edge_index.index({Slice(), Slice(edge_ptr[g], edge_ptr[g + 1])}) - node_ptr[g] + offset);
    offset += node_ptr[g + 1] - node_ptr[g];
  }
  Batch batch;
  batch.x = torch::cat(xs);
  batch.labels = torch::cat(ys);
  batch.plan = gat::make_edge_plan(torch::cat(edges, 1), offset, self_loops);
  return batch;
}

void expect_same_batch(const Batch& got, const Batch& want, const std::string& where) {
  EXPECT_TRUE(torch::equal(got.x, want.x)) << where;
  EXPECT_TRUE(torch::equal(got.labels, want.labels)) << where;
  EXPECT_FALSE(got.scored.defined()) << where << ": a batch of whole graphs scores every node";
  EXPECT_EQ(got.plan.num_nodes, want.plan.num_nodes) << where;
  EXPECT_TRUE(torch::equal(got.plan.edge_index, want.plan.edge_index)) << where;
  EXPECT_TRUE(torch::equal(got.plan.target_ptr, want.plan.target_ptr)) << where;
  EXPECT_TRUE(torch::equal(got.plan.source_ptr, want.plan.source_ptr)) << where;
  EXPECT_TRUE(torch::equal(got.plan.by_source, want.plan.by_source)) << where;
}

// Each rank's batch is its share of data/graph_shares.h (tested there), and every rank counts the
// whole step; with contiguous shares, the shares are blocks of the step in order.
TEST(BatchSource, RanksTakeTheirSharesOfAStepAndAgreeOnItsCounts) {
  const GraphDataset dataset = graphs_dataset();
  const std::vector<int64_t> step = {4, 1, 3};
  for (const gat::Shares shares : {gat::Shares::kBalanced, gat::Shares::kContiguous})
    for (int64_t ranks : {1, 2, 3, 4}) {
      const auto divided = gat::data::divide_graphs(dataset, step, ranks, shares);
      std::vector<int64_t> covered;
      for (int64_t rank = 0; rank < ranks; ++rank) {
        BatchSource source(dataset, options_for(rank, ranks, true, shares), torch::kCPU);
        const gat::data::StepBatch batch = source.step(step);
        const std::string where = "rank " + std::to_string(rank) + " of " + std::to_string(ranks);
        EXPECT_EQ(batch.graphs, 3) << where;
        EXPECT_EQ(batch.nodes, gat::data::nodes_in(dataset, step)) << where;
        EXPECT_EQ(batch.edges, gat::data::edges_in(dataset, step)) << where;
        const std::vector<int64_t>& mine = divided[rank];
        ASSERT_EQ(batch.mine.has_value(), !mine.empty()) << where;
        if (mine.empty()) continue;
        expect_same_batch(*batch.mine, reference_batch(dataset, mine, true), where);
        covered.insert(covered.end(), mine.begin(), mine.end());
      }
      if (shares == gat::Shares::kContiguous) EXPECT_EQ(covered, step) << ranks << " ranks";
    }
}

TEST(BatchSource, KeptPlansJoinAsTheBatchsOwnWithAndWithoutSelfLoops) {
  const GraphDataset dataset = graphs_dataset();
  for (bool loops : {true, false}) {
    BatchSource source(dataset, options_for(0, 1, loops), torch::kCPU);
    // Graph 2 twice: the second batch joins the plan kept from the first.
    for (const std::vector<int64_t>& graphs : {std::vector<int64_t>{2, 0}, std::vector<int64_t>{1, 2, 4}})
      expect_same_batch(source.graphs_batch(graphs), reference_batch(dataset, graphs, loops),
                        loops ? "self loops" : "no self loops");
  }
}

TEST(BatchSource, ASplitIsScoredInBatchesOfEvalGraphsFromEachRanksShare) {
  GraphDataset dataset = graphs_dataset();
  dataset.val.ids = torch::tensor({3, 0, 4, 2, 1}, torch::kInt64);
  // With contiguous shares, rank 1 of 2 holds graphs 4, 2, 1 of the split, in batches of
  // eval_graphs = 2.
  BatchSource source(dataset, options_for(1, 2, true, gat::Shares::kContiguous), torch::kCPU);
  std::vector<Batch> seen;
  source.for_each_batch(dataset.val, [&](const Batch& batch) { seen.push_back(batch); });
  ASSERT_EQ(seen.size(), 2u);
  expect_same_batch(seen[0], reference_batch(dataset, {4, 2}, true), "first batch");
  expect_same_batch(seen[1], reference_batch(dataset, {1}, true), "second batch");
}

TEST(BatchSource, NodeLevelBatchesHoldEveryGraphAndScoreTheSplitsNodes) {
  gat::data::RandomGraphsOptions options;
  options.graphs = 1, options.nodes = 40, options.degree = 3, options.features = 50, options.classes = 3;
  GraphDataset dataset = gat::data::random_graphs(options);
  // Bag-of-words-like features, 2% non-zero: the batch holds them as a sparse matrix.
  dataset.features = dataset.features * (torch::rand_like(dataset.features) < 0.02);
  dataset.train = {gat::data::SplitLevel::kNode, torch::tensor({5, 0, 17}, torch::kInt64)};
  dataset.val = {gat::data::SplitLevel::kNode, torch::tensor({3, 30}, torch::kInt64)};
  dataset.test = dataset.val;
  BatchSource source(dataset, options_for(1, 2), torch::kCPU);
  ASSERT_TRUE(source.node_level());
  const Batch whole = reference_batch(dataset, {0}, true);

  const gat::data::StepBatch step = source.step({});
  EXPECT_EQ(step.nodes, 3);
  EXPECT_EQ(step.graphs, 1);
  EXPECT_EQ(step.edges, dataset.num_edges());
  ASSERT_TRUE(step.mine.has_value()) << "node-level batches are whole on every rank";
  EXPECT_TRUE(step.mine->x.is_sparse());
  EXPECT_TRUE(torch::equal(step.mine->x.to_dense(), dataset.features));
  EXPECT_TRUE(torch::equal(step.mine->plan.edge_index, whole.plan.edge_index));
  EXPECT_TRUE(torch::equal(step.mine->scored, dataset.train.ids));
  EXPECT_TRUE(torch::equal(step.mine->labels, dataset.labels.index_select(0, dataset.train.ids)));

  int batches = 0;
  source.for_each_batch(dataset.val, [&](const Batch& batch) {
    ++batches;
    EXPECT_TRUE(torch::equal(batch.scored, dataset.val.ids));
    EXPECT_TRUE(torch::equal(batch.labels, dataset.labels.index_select(0, dataset.val.ids)));
    const torch::Tensor rows = torch::arange(40 * 7, torch::kFloat32).view({40, 7});
    EXPECT_TRUE(torch::equal(batch.scored_rows(rows), rows.index_select(0, dataset.val.ids)));
  });
  EXPECT_EQ(batches, 1);

  // gat_explain's batch of the graph: dense features.
  const Batch graph = source.graphs_batch({0});
  EXPECT_FALSE(graph.x.is_sparse());
  EXPECT_TRUE(torch::equal(graph.x, dataset.features));
  EXPECT_TRUE(torch::equal(graph.plan.edge_index, whole.plan.edge_index));
}

}  // namespace
