// A checkpoint's bytes: the run's progress as archive fields, sealed with a checksum, and read back.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "train/trainer.h"

namespace gat::train {

// What a checkpoint holds about the whole run, besides the trainer's own state.
struct RunProgress {
  int64_t seed_index = 0;                  // the seed in progress: train.seed + seed_index
  torch::Tensor results;                   // float64 [seeds, 8]: rows of the seeds done so far
  double best_val = -1;                    // the best validation score among them...
  std::vector<torch::Tensor> best_params;  // ...and that seed's kept parameters (empty before any)
  int64_t metrics_lines = 0;               // lines of metrics.jsonl written so far
  FitState fit;                            // the seed in progress
};

// Writes `progress` and `key` (see resume_key) into `archive`, beside the trainer's state.
void write_progress(torch::serialize::OutputArchive& archive, const std::string& key, const RunProgress& progress);

// The bytes of a checkpoint file: `archive` serialised and sealed (common/sealed_zip.h).
std::string checkpoint_bytes(torch::serialize::OutputArchive& archive);

// Why the bytes of checkpoint file `path` cannot be resumed from (a missing or failing checksum,
// an unreadable archive), as a phrase that follows the file's name; nullopt when they can.
std::optional<std::string> checkpoint_problem(const std::string& bytes);

// A checkpoint read back: the run's progress, and the archive the trainer restores itself from.
struct LoadedCheckpoint {
  std::string path;
  RunProgress progress;
  std::shared_ptr<torch::serialize::InputArchive> archive;
};

// Reads the checkpoint file `path` from its `bytes`, its tensors on `device`. Throws gat::Error
// of one line naming `path` when checkpoint_problem finds one, when a field is missing or of
// another type or shape, and when the checkpoint was written for another config or dataset than
// `key` describes (naming the first difference).
LoadedCheckpoint read_checkpoint(const std::string& bytes, const std::string& path, const std::string& key,
                                 const torch::Device& device);

}  // namespace gat::train
