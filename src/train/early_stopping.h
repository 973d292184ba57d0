// The GAT paper's early stopping: patience on validation loss and validation metric together.
#pragma once

#include <cstdint>

namespace gat::train {

// Follows the paper's reference code: an epoch that improves (or ties) either the best validation
// metric or the best validation loss resets the patience counter; the model is kept only when it
// is at least as good on both. Training stops after `patience` epochs without either.
class EarlyStopping {
 public:
  explicit EarlyStopping(int64_t patience) : patience_(patience) {}

  enum class Verdict { kKeep, kContinue, kStop };
  // kKeep: save this epoch's model as the best; kStop: patience ran out.
  Verdict update(double val_loss, double val_metric);

  int64_t bad_epochs() const { return bad_epochs_; }

 private:
  int64_t patience_;
  int64_t bad_epochs_ = 0;
  double best_loss_ = 1e300;
  double best_metric_ = -1e300;
};

}  // namespace gat::train
