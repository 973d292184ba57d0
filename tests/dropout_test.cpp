// Keyed dropout: rate and scale, and masks that depend on the key and the element alone.
#include <gtest/gtest.h>

#include <ATen/core/PhiloxRNGEngine.h>

#include "ops/dropout.h"
#include "support/error_of.h"

namespace {

using gat::DropoutKey;
using gat::GraphExtent;
using gat::ops::dropout;
using gat::ops::dropout_mask;
using gat::ops::DropoutSite;

DropoutKey key_of(std::vector<GraphExtent> graphs, uint64_t seed = 5, int64_t epoch = 3, int64_t layer = 1) {
  return DropoutKey{seed, epoch, layer, std::move(graphs)};
}

TEST(Dropout, EachElementIsTheDrawOfAScalarPhiloxAtItsIndex) {
  // The reference: at::Philox4_32 one element at a time, keyed as dropout.h says (seed; epoch,
  // graph and the layer's site in the subsequence; element r * width + c). 2 x 3 x 7 graph rows of
  // width 7: runs that end inside a block, and a second graph whose stream starts afresh.
  const double p = 0.3;
  const DropoutKey key = key_of({{5, 3, 0}, {9, 4, 0}}, 77, 6, 2);
  const torch::Tensor mask = dropout_mask(key, DropoutSite::kInput, 7, p, torch::kFloat64);
  const auto threshold = static_cast<uint32_t>(p * 4294967296.0);
  int64_t row = 0;
  for (const GraphExtent& g : key.graphs) {
    const uint64_t stream = uint64_t{6} << 40 | static_cast<uint64_t>(g.graph) << 8 | 2 * 2;
    for (int64_t e = 0; e < g.nodes * 7; ++e) {
      at::Philox4_32 engine(77, stream, static_cast<uint64_t>(e / 4));
      for (int64_t skip = e % 4; skip > 0; --skip) engine();
      const double expected = engine() >= threshold ? 1 / (1 - p) : 0;
      ASSERT_EQ(mask[row + e / 7][e % 7].item<double>(), expected) << "graph " << g.graph << " element " << e;
    }
    row += g.nodes;
  }
}

TEST(Dropout, MaskHoldsZerosAndTheInverseKeepRateAtTheDropRate) {
  const double p = 0.6;
  const torch::Tensor mask = dropout_mask(key_of({{0, 40000, 0}}), DropoutSite::kInput, 5, p, torch::kFloat64);
  ASSERT_EQ(mask.sizes(), torch::IntArrayRef({40000, 5}));
  const torch::Tensor kept = mask != 0;
  EXPECT_TRUE(mask.masked_select(kept).eq(1 / (1 - p)).all().item<bool>());
  // 200,000 draws: the kept fraction's standard deviation is about 0.0011.
  EXPECT_NEAR(kept.to(torch::kFloat64).mean().item<double>(), 1 - p, 0.006);
  // Neighbouring elements are independent: the kept fraction of pairs is (1 - p)^2.
  const torch::Tensor flat = kept.reshape(-1).to(torch::kFloat64);
  EXPECT_NEAR((flat.narrow(0, 0, flat.numel() - 1) * flat.narrow(0, 1, flat.numel() - 1)).mean().item<double>(),
              (1 - p) * (1 - p), 0.006);
}

TEST(Dropout, AGraphsMaskIsTheSameWhateverSharesItsBatch) {
  const GraphExtent a{7, 13, 40}, b{2, 9, 31}, c{40000, 5, 11};
  for (const DropoutSite site : {DropoutSite::kInput, DropoutSite::kAttention}) {
    const int64_t rows_a = site == DropoutSite::kInput ? a.nodes : a.edges;
    const torch::Tensor alone = dropout_mask(key_of({a}), site, 6, 0.5, torch::kFloat32);
    const torch::Tensor first = dropout_mask(key_of({a, b}), site, 6, 0.5, torch::kFloat32);
    const torch::Tensor last = dropout_mask(key_of({c, b, a}), site, 6, 0.5, torch::kFloat32);
    EXPECT_TRUE(torch::equal(first.narrow(0, 0, rows_a), alone));
    EXPECT_TRUE(torch::equal(last.narrow(0, last.size(0) - rows_a, rows_a), alone));
  }
}

TEST(Dropout, EveryPartOfTheKeyChangesTheMask) {
  const GraphExtent g{4, 50, 0};
  const torch::Tensor base = dropout_mask(key_of({g}), DropoutSite::kInput, 8, 0.5, torch::kFloat32);
  EXPECT_TRUE(torch::equal(base, dropout_mask(key_of({g}), DropoutSite::kInput, 8, 0.5, torch::kFloat32)));
  const std::vector<std::pair<const char*, torch::Tensor>> others = {
      {"seed", dropout_mask(key_of({g}, 6), DropoutSite::kInput, 8, 0.5, torch::kFloat32)},
      {"epoch", dropout_mask(key_of({g}, 5, 4), DropoutSite::kInput, 8, 0.5, torch::kFloat32)},
      {"layer", dropout_mask(key_of({g}, 5, 3, 0), DropoutSite::kInput, 8, 0.5, torch::kFloat32)},
      {"graph", dropout_mask(key_of({{5, 50, 0}}), DropoutSite::kInput, 8, 0.5, torch::kFloat32)},
      {"site", dropout_mask(key_of({{4, 0, 50}}), DropoutSite::kAttention, 8, 0.5, torch::kFloat32)},
      {"projected site", dropout_mask(key_of({g}), DropoutSite::kProjected, 8, 0.5, torch::kFloat32)}};
  // 400 elements that agree by chance with probability 2^-400.
  for (const auto& [what, mask] : others) EXPECT_FALSE(torch::equal(mask, base)) << what;
}

TEST(Dropout, TheMaskIsTheSameForAnyThreadCount) {
  const DropoutKey key = key_of({{1, 3001, 0}, {0, 17, 0}});
  const int before = at::get_num_threads();
  at::set_num_threads(1);
  const torch::Tensor one = dropout_mask(key, DropoutSite::kInput, 33, 0.3, torch::kFloat32);
  at::set_num_threads(2);
  const torch::Tensor two = dropout_mask(key, DropoutSite::kInput, 33, 0.3, torch::kFloat32);
  at::set_num_threads(before);
  EXPECT_TRUE(torch::equal(one, two));
}

TEST(Dropout, ASparseInputDropsItsStoredElementsAsTheDenseOneDoes) {
  const DropoutKey key = key_of({{3, 30, 0}, {8, 20, 0}});
  torch::manual_seed(0);
  const torch::Tensor dense = torch::randn({50, 40}, torch::kFloat64) * (torch::rand({50, 40}) < 0.1);
  const torch::Tensor from_sparse = dropout(dense.to_sparse(), key, DropoutSite::kInput, 0.4, true).to_dense();
  EXPECT_TRUE(torch::equal(from_sparse, dropout(dense, key, DropoutSite::kInput, 0.4, true)));
}

TEST(Dropout, IdentityWhenOffAndClearErrors) {
  const torch::Tensor x = torch::randn({50, 7});
  const DropoutKey key = key_of({{0, 50, 0}});
  EXPECT_TRUE(dropout(x, key, DropoutSite::kInput, 0.5, false).is_same(x));
  EXPECT_TRUE(dropout(x, key, DropoutSite::kInput, 0.0, true).is_same(x));
  using gat::testing::error_of;
  EXPECT_EQ(error_of([&] { dropout_mask(key, DropoutSite::kInput, 7, 1.0, torch::kFloat32); }),
            "dropout: p must be in [0, 1), got 1");
  EXPECT_EQ(error_of([&] {
              dropout(torch::randn({51, 7}), key, DropoutSite::kInput, 0.5, true);
            }),
            "dropout: the key's graphs cover 50 rows, x has 51");
  EXPECT_EQ(error_of([&] {
              dropout_mask(key_of({{0, 5, 0}}, 0, 1 << 24), DropoutSite::kInput, 7, 0.5, torch::kFloat32);
            }),
            "dropout: key out of range (epoch 16777216 of < 2^24, graph 0 of < 2^32, layer 1 of < 64)");
}

}  // namespace
