// The GAT paper's early stopping: patience on validation loss and validation metric together, or on
// the metric alone.
#pragma once

#include <cstdint>

#include "common/choices.h"

namespace gat::train {

// StoppingRule::kLossAndMetric follows the paper's reference code (execute_cora.py): an epoch that
// improves (or ties) either the best validation metric or the best validation loss resets the
// patience counter; the model is kept only when it is at least as good on both. kMetric is the rule
// the paper's author reports using for Citeseer (PetarV-/GAT issue 14): an epoch that improves or
// ties the best metric resets patience and is kept; loss plays no part. Either way training stops
// after `patience` epochs without a reset.
class EarlyStopping {
 public:
  explicit EarlyStopping(int64_t patience, StoppingRule rule = StoppingRule::kLossAndMetric)
      : patience_(patience), rule_(rule) {}

  enum class Verdict { kKeep, kContinue, kStop };
  // kKeep: save this epoch's model as the best; kStop: patience ran out.
  Verdict update(double val_loss, double val_metric);

  int64_t bad_epochs() const { return bad_epochs_; }

  // What a checkpoint keeps of it.
  struct State {
    int64_t bad_epochs = 0;
    double best_loss = 1e300;
    double best_metric = -1e300;
  };
  State state() const { return {bad_epochs_, best_loss_, best_metric_}; }
  void restore(const State& s) { bad_epochs_ = s.bad_epochs, best_loss_ = s.best_loss, best_metric_ = s.best_metric; }

 private:
  int64_t patience_;
  StoppingRule rule_;
  int64_t bad_epochs_ = State().bad_epochs;
  double best_loss_ = State().best_loss;
  double best_metric_ = State().best_metric;
};

}  // namespace gat::train
