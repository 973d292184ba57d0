// What a person watching a run on a terminal sees: a line per epoch that redraws after each step.
#pragma once

#include <cstdint>
#include <string>

namespace gat::train {

// Where the epoch in progress stands after one of its steps.
struct StepProgress {
  int64_t seed = 0;
  int64_t epoch = 0;        // 1-based
  int64_t step = 0;         // steps of this epoch done, 1-based
  int64_t steps = 0;        // steps in this epoch
  double loss = 0;          // the epoch's mean training loss so far
  double seconds = 0;       // since the epoch started (or resumed)...
  int64_t steps_timed = 0;  // ...and the steps taken in them
  int64_t graphs = 0;       // trained on since then, over all ranks
  int64_t edges = 0;        // stored edges of those graphs
};

// "epoch 12 [########------] 7/12  loss 0.5123  91 graphs/s  2.31M edges/s  ETA 0:03", redrawn in
// place on stderr. Enabled only where it helps: rank 0, stderr a terminal, info-level logs. Its
// line is cleared before each epoch's log line, so plain log lines never mix with it.
class ProgressLine {
 public:
  explicit ProgressLine(bool enabled) : enabled_(enabled) {}
  ~ProgressLine() { clear(); }
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  void step(const StepProgress& p);
  void clear();

  // The text step() draws.
  static std::string render(const StepProgress& p);

 private:
  bool enabled_;
  bool drawn_ = false;
};

// Whether stderr is a terminal.
bool stderr_is_terminal();

}  // namespace gat::train
