// Checkpoints: a run written down at a step boundary, and read back to continue it exactly.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "data/graph_dataset.h"
#include "dist/communicator.h"
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

// The text two runs must share for one to continue the other's checkpoint: the resolved config,
// less the keys that may change between them (where results go, threads, device, transport,
// timeouts and checkpointing itself), and the shape of the data.
std::string resume_key(const config::Config& config, const data::GraphDataset& dataset);

// Called on every rank (the trainer gathers the ranks' random generators). Rank 0 moves the last
// checkpoint.pt of run_dir to checkpoint.prev.pt and writes the new one through a temp file that
// is fsynced and renamed: a crash at any point leaves one whole checkpoint behind.
void save_checkpoint(const std::string& run_dir, const std::string& key, const RunProgress& progress,
                     Trainer& trainer, dist::Communicator& comm);

// A checkpoint read back: the run's progress, and the archive the trainer restores itself from.
struct LoadedCheckpoint {
  std::string path;
  RunProgress progress;
  std::shared_ptr<torch::serialize::InputArchive> archive;
};

// The newest readable checkpoint of run_dir (checkpoint.pt, else checkpoint.prev.pt), read by
// rank 0 and sent to every rank, its tensors on `device`; nullopt when there is none. Throws
// gat::Error when it was written for another config or dataset, naming the first difference.
std::optional<LoadedCheckpoint> load_checkpoint(const std::string& run_dir, const std::string& key,
                                                const torch::Device& device, dist::Communicator& comm);

// Removes run_dir's checkpoints (a finished run needs none) and returns the names it removed.
std::vector<std::string> remove_checkpoints(const std::string& run_dir);

}  // namespace gat::train
