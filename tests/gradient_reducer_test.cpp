// Gradient buckets: plan_buckets against the rule it documents, and the reducer on one rank, on
// the CPU over the local communicator and on a GPU over NCCL (skipped, visibly, without one).
#include <gtest/gtest.h>

#include <numeric>
#include <random>

#include "dist/gradient_reducer.h"
#include "support/nccl.h"

using gat::dist::plan_buckets;

namespace {

using Plan = std::vector<std::vector<std::size_t>>;

TEST(PlanBuckets, FillsBucketsInReverseOrderUpToTheCap) {
  EXPECT_EQ(plan_buckets({100, 100, 100, 100}, 250), (Plan{{3, 2}, {1, 0}}));
  EXPECT_EQ(plan_buckets({50, 50}, 100), (Plan{{1, 0}}));  // exactly full
  EXPECT_EQ(plan_buckets({60, 50}, 100), (Plan{{1}, {0}}));
  EXPECT_EQ(plan_buckets({10, 20, 30}, 1000), (Plan{{2, 1, 0}}));
}

TEST(PlanBuckets, AParameterLargerThanTheCapGetsABucketOfItsOwn) {
  EXPECT_EQ(plan_buckets({10, 1000, 10}, 100), (Plan{{2}, {1}, {0}}));
  EXPECT_EQ(plan_buckets({10, 1000}, 100), (Plan{{1}, {0}}));  // first in the walk
  EXPECT_EQ(plan_buckets({1000, 10, 10}, 100), (Plan{{2, 1}, {0}}));
  EXPECT_EQ(plan_buckets({1000, 1000}, 100), (Plan{{1}, {0}}));
}

TEST(PlanBuckets, NoParametersNoBuckets) {
  EXPECT_TRUE(plan_buckets({}, 100).empty());
  EXPECT_EQ(plan_buckets({0, 0}, 100), (Plan{{1, 0}}));  // empty parameters still have a place
}

// Random sizes against the greedy rule spelled out: every index once, last first; a bucket of more
// than one parameter within the cap; and each bucket starts only because its first parameter did
// not fit in the one before.
TEST(PlanBuckets, RandomSizesFollowTheGreedyRule) {
  std::mt19937 random(3);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<int64_t> bytes(std::uniform_int_distribution<int>(1, 30)(random));
    for (auto& b : bytes) b = std::uniform_int_distribution<int64_t>(1, 400)(random);
    const int64_t cap = std::uniform_int_distribution<int64_t>(1, 1000)(random);
    const Plan plan = plan_buckets(bytes, cap);
    std::vector<std::size_t> walked, expected(bytes.size());
    std::iota(expected.rbegin(), expected.rend(), 0);
    std::vector<int64_t> filled;
    for (const auto& bucket : plan) {
      ASSERT_FALSE(bucket.empty());
      walked.insert(walked.end(), bucket.begin(), bucket.end());
      int64_t sum = 0;
      for (std::size_t k : bucket) sum += bytes[k];
      if (bucket.size() > 1) EXPECT_LE(sum, cap) << "trial " << trial;
      if (!filled.empty()) EXPECT_GT(filled.back() + bytes[bucket.front()], cap) << "trial " << trial;
      filled.push_back(sum);
    }
    EXPECT_EQ(walked, expected) << "trial " << trial;
  }
}

// On one rank the sum over ranks is the rank's own gradient: d/dp sum(p^2) = 2p, for parameters of
// several shapes packed into more than one bucket.
void expect_one_rank_keeps_its_gradients(gat::dist::Communicator& comm, const torch::Device& device, bool overlap) {
  torch::manual_seed(0);
  std::vector<torch::Tensor> params;
  for (auto sizes : {std::vector<int64_t>{1000}, {10}, {30, 10}})
    params.push_back(torch::randn(sizes, torch::TensorOptions(device)).requires_grad_());
  gat::dist::GradientReducer reducer(params, comm, /*bucket_bytes=*/2048, overlap);
  ASSERT_GT(reducer.num_buckets(), 1u);
  reducer.prepare();
  torch::Tensor loss = torch::zeros({}, torch::TensorOptions(device));
  for (const auto& p : params) loss = loss + (p * p).sum();
  loss.backward();
  reducer.finish();
  for (const auto& p : params) EXPECT_TRUE(torch::allclose(p.grad().cpu(), 2 * p.detach().cpu())) << p.sizes();
}

TEST(GradientReducer, OneRankKeepsItsGradientsOnTheCpu) {
  gat::dist::LocalCommunicator comm;
  for (bool overlap : {true, false}) {
    SCOPED_TRACE(overlap ? "overlap" : "no overlap");
    expect_one_rank_keeps_its_gradients(comm, torch::kCPU, overlap);
  }
}

TEST(GradientReducer, ARankWithoutBackwardReducesZeros) {
  gat::dist::LocalCommunicator comm;
  std::vector<torch::Tensor> params = {torch::ones({600}).requires_grad_(), torch::ones({3, 4}).requires_grad_()};
  gat::dist::GradientReducer reducer(params, comm, /*bucket_bytes=*/1024, /*overlap=*/true);
  reducer.prepare();
  reducer.finish();
  for (const auto& p : params) {
    ASSERT_TRUE(p.grad().defined());
    EXPECT_EQ(p.grad().sizes(), p.sizes());
    EXPECT_TRUE(p.grad().eq(0).all().item<bool>());
  }
}

using gat::testing::Nccl;

TEST_F(Nccl, GradientReducerWithOverlapKeepsOneRanksGradients) {
  expect_one_rank_keeps_its_gradients(*comm_, device_, /*overlap=*/true);
}

}  // namespace
