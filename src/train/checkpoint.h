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
#include "train/checkpoint_archive.h"
#include "train/trainer.h"

namespace gat::train {

// The text two runs must share for one to continue the other's checkpoint: the resolved config,
// less the keys that may change between them (where results go, threads, device, transport,
// timeouts, the stream's cache and checkpointing itself), the shape of the data and a fingerprint
// of its contents.
std::string resume_key(const config::Config& config, const data::GraphDataset& dataset);

// Called on every rank. Rank 0 moves the last checkpoint.pt of run_dir to checkpoint.prev.pt and
// writes the new one through a temp file that is fsynced and renamed: a crash at any point leaves
// one whole checkpoint behind.
void save_checkpoint(const std::string& run_dir, const std::string& key, const RunProgress& progress, Trainer& trainer,
                     dist::Communicator& comm);

// The newest whole checkpoint of run_dir, read by rank 0 and sent to every rank, its tensors on
// `device`; nullopt when there is none. A checkpoint.pt that is cut short or fails its checksum is
// passed over for checkpoint.prev.pt with a warning; when no checkpoint file there is whole, or
// the one read was written for another config or dataset, every rank throws the same gat::Error.
std::optional<LoadedCheckpoint> load_checkpoint(const std::string& run_dir, const std::string& key,
                                                const torch::Device& device, dist::Communicator& comm);

// Puts the trainer's part of a loaded checkpoint back: the model's parameters and Adam's state. A
// checkpoint written by any number of ranks continues on any other (elastic resume).
void restore_training_state(torch::serialize::InputArchive& archive, Trainer& trainer);

// Removes run_dir's checkpoints (a finished run needs none) and returns the names it removed.
std::vector<std::string> remove_checkpoints(const std::string& run_dir);

}  // namespace gat::train
