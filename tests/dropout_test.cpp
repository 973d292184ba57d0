// The dropout every layer uses: values, rate, scale, seeding.
#include <gtest/gtest.h>

#include "ops/dropout.h"

namespace {

TEST(Dropout, MaskHoldsZerosAndTheInverseKeepRateAtTheDropRate) {
  torch::manual_seed(0);
  const double p = 0.6;
  const torch::Tensor mask = gat::ops::dropout_mask({200000}, p, torch::kFloat64);
  const torch::Tensor kept = mask != 0;
  EXPECT_TRUE(mask.masked_select(kept).eq(1 / (1 - p)).all().item<bool>());
  // 200,000 draws: the kept fraction's standard deviation is about 0.0011.
  EXPECT_NEAR(kept.to(torch::kFloat64).mean().item<double>(), 1 - p, 0.006);
  EXPECT_NEAR(mask.mean().item<double>(), 1.0, 0.015);  // inverted dropout keeps the mean
}

TEST(Dropout, SameSeedSameMaskAndIdentityWhenOff) {
  const torch::Tensor x = torch::randn({50, 7});
  torch::manual_seed(3);
  const torch::Tensor a = gat::ops::dropout(x, 0.5, true);
  torch::manual_seed(3);
  EXPECT_TRUE(torch::equal(a, gat::ops::dropout(x, 0.5, true)));
  EXPECT_TRUE(gat::ops::dropout(x, 0.5, false).is_same(x));
  EXPECT_TRUE(gat::ops::dropout(x, 0.0, true).is_same(x));
  EXPECT_THROW(gat::ops::dropout_mask({3}, 1.0, torch::kFloat32), c10::Error);
}

}  // namespace
