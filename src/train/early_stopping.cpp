// Early stopping as in the GAT reference implementation, or on the validation metric alone.
#include "train/early_stopping.h"

#include <algorithm>

namespace gat::train {

EarlyStopping::Verdict EarlyStopping::update(double val_loss, double val_metric) {
  const bool metric_ok = val_metric >= best_metric_;
  const bool loss_ok = val_loss <= best_loss_;
  const bool reset = rule_ == StoppingRule::kMetric ? metric_ok : metric_ok || loss_ok;
  const bool keep = rule_ == StoppingRule::kMetric ? metric_ok : metric_ok && loss_ok;
  if (reset) {
    best_metric_ = std::max(best_metric_, val_metric);
    best_loss_ = std::min(best_loss_, val_loss);  // recorded under kMetric too, unused there
    bad_epochs_ = 0;
    return keep ? Verdict::kKeep : Verdict::kContinue;
  }
  return ++bad_epochs_ >= patience_ ? Verdict::kStop : Verdict::kContinue;
}

}  // namespace gat::train
