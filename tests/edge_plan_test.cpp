// The edge plan: its CSR and CSC grouping against hand-worked plans, and joined plans against the
// plan of the concatenated edges.
#include <gtest/gtest.h>

#include "common/device.h"
#include "common/edge_plan.h"
#include "support/error_of.h"
#include "support/gpu.h"
#include "support/random_graph.h"

using gat::EdgePlan;
using gat::make_edge_plan;

namespace {

using gat::testing::error_of;
using gat::testing::hub_graph;
using gat::testing::random_graph;

TEST(EdgePlan, GroupsByTargetAndBySourceWithOneSelfLoopLastPerNode) {
  // Edges 0->1, 2->1, 1->1 (a stored loop, dropped), 1->0, 0->2.
  const torch::Tensor edges = torch::tensor({{0, 2, 1, 1, 0}, {1, 1, 1, 0, 2}}, torch::kInt64);
  const EdgePlan plan = make_edge_plan(edges, 3, true);
  EXPECT_TRUE(torch::equal(plan.edge_index, torch::tensor({{1, 0, 0, 2, 1, 0, 2}, {0, 0, 1, 1, 1, 2, 2}})));
  EXPECT_TRUE(torch::equal(plan.target_ptr, torch::tensor({0, 2, 5, 7})));
  // Sources 0: columns 1, 2, 5; 1: 0, 4; 2: 3, 6.
  EXPECT_TRUE(torch::equal(plan.source_ptr, torch::tensor({0, 3, 5, 7})));
  EXPECT_TRUE(torch::equal(plan.by_source, torch::tensor({1, 2, 5, 0, 4, 3, 6})));

  const EdgePlan bare = make_edge_plan(edges, 3, false);  // stored loops kept, none added
  EXPECT_TRUE(torch::equal(bare.edge_index, torch::tensor({{1, 0, 2, 1, 0}, {0, 1, 1, 1, 2}})));
}

// The batch source keeps one plan per graph and joins a batch's: the join must be exactly the plan of
// the batch's concatenated edges, with stored loops, isolated nodes, an edgeless one-node graph
// and a hub among the graphs, and on a GPU where there is one.
TEST(EdgePlan, JoinedPlansOfGraphsAreThePlanOfTheirConcatenation) {
  const std::vector<std::pair<int64_t, torch::Tensor>> graphs = {{10, random_graph(10, 0.3, false, 4)},
                                                                 {1, torch::zeros({2, 0}, torch::kInt64)},
                                                                 {40, random_graph(40, 0.03, false, 5)},
                                                                 {60, hub_graph(60, 6)}};
  std::vector<torch::Device> devices = {torch::kCPU};
  if (gat::testing::have_gpu()) devices.emplace_back(torch::kCUDA);
  for (const torch::Device& device : devices)
    for (bool loops : {true, false}) {
      std::vector<EdgePlan> plans;
      std::vector<torch::Tensor> shifted;
      int64_t n = 0;
      for (const auto& [nodes, edges] : graphs) {
        plans.push_back(gat::to_device(make_edge_plan(edges, nodes, loops), device));
        shifted.push_back(edges + n);
        n += nodes;
      }
      std::vector<const EdgePlan*> parts;
      for (const EdgePlan& plan : plans) parts.push_back(&plan);
      const EdgePlan joined = gat::join_plans(parts);
      const EdgePlan whole = make_edge_plan(torch::cat(shifted, 1), n, loops);
      const std::string where = device.str() + (loops ? ", self loops" : ", no self loops");
      EXPECT_EQ(joined.num_nodes, n) << where;
      EXPECT_EQ(joined.self_loops, loops) << where;
      EXPECT_EQ(joined.edge_index.device().type(), device.type()) << where;
      EXPECT_TRUE(torch::equal(joined.edge_index.cpu(), whole.edge_index)) << where;
      EXPECT_TRUE(torch::equal(joined.target_ptr.cpu(), whole.target_ptr)) << where;
      EXPECT_TRUE(torch::equal(joined.source_ptr.cpu(), whole.source_ptr)) << where;
      EXPECT_TRUE(torch::equal(joined.by_source.cpu(), whole.by_source)) << where;
    }
}

TEST(EdgePlan, JoiningPlansWithAndWithoutSelfLoopsIsAnError) {
  const EdgePlan with = make_edge_plan(random_graph(5, 0.3, false, 1), 5, true);
  const EdgePlan without = make_edge_plan(random_graph(5, 0.3, false, 1), 5, false);
  EXPECT_EQ(error_of([&] {
              gat::join_plans({&with, &without});
            }),
            "join_plans: plans made with and without self loops");
}

TEST(EdgePlan, RejectsNodeIdsOutOfRange) {
  const torch::Tensor edges = torch::tensor({{0, 3}, {1, 0}}, torch::kInt64);
  EXPECT_EQ(error_of([&] { make_edge_plan(edges, 3, true); }),
            "make_edge_plan: edge 1 (3 -> 0) is outside nodes [0, 3)");
}

}  // namespace
