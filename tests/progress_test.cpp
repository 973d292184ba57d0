// The progress line's text.
#include <gtest/gtest.h>

#include "train/progress.h"

using gat::train::ProgressLine;
using gat::train::StepProgress;

TEST(ProgressLine, ShowsStepsLossThroughputAndTimeLeft) {
  // 7 of 12 steps in 2 s: 70 graphs/s, 1.75M edges/s, and 5 steps of 0.29 s left.
  StepProgress p{0, 12, 7, 12, 0.51234, 2.0, 7, 140, 3'500'000};
  EXPECT_EQ(ProgressLine::render(p),
            "seed 0 epoch 12 [###########---------] 7/12  loss 0.5123  70 graphs/s  1.75M edges/s  ETA 0:01");
  // Resumed at step 5: only the 2 steps timed since count towards the time left.
  p.steps_timed = 2;
  p.step = 12;
  EXPECT_EQ(ProgressLine::render(p),
            "seed 0 epoch 12 [####################] 12/12  loss 0.5123  70 graphs/s  1.75M edges/s  ETA 0:00");
  p = StepProgress{3, 1, 1, 400, 0.7, 90.0, 1, 2, 2000};
  EXPECT_EQ(ProgressLine::render(p),
            "seed 3 epoch 1 [--------------------] 1/400  loss 0.7000  0 graphs/s  22 edges/s  ETA 598:30");
}
