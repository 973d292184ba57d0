#include "common/thread_speeds.h"

#include <gtest/gtest.h>

#include <vector>

using gat::ThreadSpeeds;

// Before any timing the work is cut evenly; a thread three times as fast as the other is then given
// about three quarters of it.
TEST(ThreadSpeeds, CutsEvenlyFirstThenInProportionToSpeed) {
  ThreadSpeeds speeds;
  EXPECT_EQ(speeds.cuts(2, 100), (std::vector<double>{0, 50, 100}));
  for (int loop = 0; loop < 40; ++loop) speeds.record({300, 100}, {1, 1});
  const std::vector<double> cut = speeds.cuts(2, 100);
  EXPECT_NEAR(cut[1], 75, 0.01);
  EXPECT_EQ(cut[2], 100);
}

// Loops too short to time, or where a thread had nothing to do, leave the speeds alone; a thread
// stalled for a while is never trusted with more than kMostSkew times the mean, nor less than 1 / it.
TEST(ThreadSpeeds, IgnoresUntimeableLoopsAndBoundsTheSkew) {
  ThreadSpeeds speeds;
  speeds.record({300, 100}, {ThreadSpeeds::kLeastSeconds / 2, 1});
  speeds.record({300, 0}, {1, 1});
  EXPECT_EQ(speeds.cuts(2, 100), (std::vector<double>{0, 50, 100}));
  for (int loop = 0; loop < 100; ++loop) speeds.record({1000, 1, 1}, {1, 1, 1});
  const double fast = ThreadSpeeds::kMostSkew, slow = 1 / ThreadSpeeds::kMostSkew, all = fast + 2 * slow;
  const std::vector<double> cut = speeds.cuts(3, 100);
  EXPECT_NEAR(cut[1], 100 * fast / all, 0.01);
  EXPECT_NEAR(cut[2], 100 * (fast + slow) / all, 0.01);
}
