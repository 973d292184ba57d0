// Early stopping as in the GAT reference implementation.
#include "train/early_stopping.h"

#include <algorithm>

namespace gat::train {

EarlyStopping::Verdict EarlyStopping::update(double val_loss, double val_metric) {
  const bool metric_ok = val_metric >= best_metric_;
  const bool loss_ok = val_loss <= best_loss_;
  if (metric_ok || loss_ok) {
    best_metric_ = std::max(best_metric_, val_metric);
    best_loss_ = std::min(best_loss_, val_loss);
    bad_epochs_ = 0;
    return metric_ok && loss_ok ? Verdict::kKeep : Verdict::kContinue;
  }
  return ++bad_epochs_ >= patience_ ? Verdict::kStop : Verdict::kContinue;
}

}  // namespace gat::train
