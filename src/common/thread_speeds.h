// How fast each compute thread has run lately, relative to the others, so that a loop whose result
// does not depend on which thread runs which rows can give a slower thread fewer of them.
#pragma once

#include <mutex>
#include <vector>

namespace gat {

// On a shared host one thread of a process can run persistently slower than another: on a 2-vCPU
// machine, PPI's attention loops cut into equal halves left the faster thread idle 7-26 % of the
// slower one's time, the same thread slower in 85-95 % of a run's loops, a different one
// from run to run (docs/performance.md, "Threads of unequal speed"). Each thread's speed, relative
// to the mean, is smoothed over the loops that report one.
class ThreadSpeeds {
 public:
  // Where to cut `work` units among `parts` threads (thread p takes [cut[p], cut[p + 1])): in
  // proportion to their speeds, evenly before any is known.
  std::vector<double> cuts(int parts, double work) const;

  // One loop's account: thread p did work[p] units in seconds[p]. Loops under kLeastSeconds a
  // thread, or where a thread had nothing, say more about the timer than about the threads.
  void record(const std::vector<double>& work, const std::vector<double>& seconds);

  static constexpr double kLeastSeconds = 2e-4;
  // How much one loop moves the speeds. A PPI step runs twelve such loops (four a layer), some too
  // short to count; after twelve an old speed keeps 3 % of its weight, so a thread that turns slow
  // is followed within a step or two.
  static constexpr double kWeight = 0.25;
  // Speeds kept within this factor of the mean either way: a thread stalled once (a page fault,
  // another process) must not be starved of rows for the rest of the run.
  static constexpr double kMostSkew = 2;

 private:
  mutable std::mutex mutex_;
  std::vector<double> speed_;  // relative to the mean of those known; 1 until measured
};

// The process's compute threads (LibTorch's intra-op pool).
ThreadSpeeds& thread_speeds();

}  // namespace gat
