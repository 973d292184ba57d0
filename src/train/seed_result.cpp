// Eight float64 columns: seed, val, val_loss, test, best_epoch, epochs, seconds, skipped_steps.
#include "train/seed_result.h"

namespace gat::train {

torch::Tensor to_row(const SeedResult& r) {
  return torch::tensor({double(r.seed), r.val, r.val_loss, r.test, double(r.best_epoch), double(r.epochs), r.seconds,
                        double(r.skipped_steps)},
                       torch::kFloat64);
}

SeedResult seed_result(const torch::Tensor& row) {
  const auto a = row.accessor<double, 1>();
  return {int64_t(a[0]), a[1], a[2], a[3], int64_t(a[4]), int64_t(a[5]), int64_t(a[7]), a[6]};
}

}  // namespace gat::train
