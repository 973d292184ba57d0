// What one seed's training scored, and its form as a row of numbers.
#pragma once

#include <torch/torch.h>

#include <cstdint>

namespace gat::train {

struct SeedResult {
  int64_t seed = 0;
  double val = 0;  // metric of the kept model on val and test
  double val_loss = 0;
  double test = 0;
  int64_t best_epoch = 0;
  int64_t epochs = 0;         // epochs run before stopping
  int64_t skipped_steps = 0;  // dropped for a NaN or Inf (train.on_nonfinite: skip)
  double seconds = 0;
};

// A SeedResult as a float64 row [8] and back: how results travel between ranks and into checkpoints.
torch::Tensor to_row(const SeedResult& r);
SeedResult seed_result(const torch::Tensor& row);

}  // namespace gat::train
