// Where checkpoints live in a run directory, which one a run continues from, and who reads it.
#include "train/checkpoint.h"

#include <filesystem>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/log.h"
#include "data/dataset_fingerprint.h"
#include "data/dataset_shape.h"
#include "dist/consistency.h"
#include "train/run_directory.h"

namespace gat::train {
namespace {

std::string path_in(const std::string& dir, const char* name) { return (std::filesystem::path(dir) / name).string(); }

// The trainer's part of a checkpoint: the model's parameters and Adam's state. Dropout's masks are
// keyed by seed, epoch and graph (common/dropout_key.h), so no generator state goes in and any
// number of ranks can continue it.
void save_training_state(torch::serialize::OutputArchive& archive, Trainer& trainer) {
  torch::serialize::OutputArchive model, optimizer;
  trainer.model()->save(model);
  trainer.optimizer().save(optimizer);
  archive.write("model", model);
  archive.write("optimizer", optimizer);
}

}  // namespace

std::string resume_key(const config::Config& config, const data::GraphDataset& dataset) {
  config::Config c = config;
  const config::Config defaults;
  c.train.run_dir = defaults.train.run_dir;
  c.train.threads = defaults.train.threads;
  c.train.device = defaults.train.device;
  c.train.checkpoint_every = defaults.train.checkpoint_every;
  c.train.resume = defaults.train.resume;
  c.data.cache_mb = defaults.data.cache_mb;
  c.dist = defaults.dist;
  return config::to_yaml(c) + data::describe_shape(dataset) + "data contents: " + data::content_fingerprint(dataset) +
         "\n";
}

void save_checkpoint(const std::string& run_dir, const std::string& key, const RunProgress& progress, Trainer& trainer,
                     dist::Communicator& comm) {
  torch::serialize::OutputArchive archive;
  write_progress(archive, key, progress);
  save_training_state(archive, trainer);
  if (comm.rank() != 0) return;
  const std::string current = path_in(run_dir, kRunCheckpoint);
  std::error_code ec;
  if (std::filesystem::exists(current)) std::filesystem::rename(current, path_in(run_dir, kRunPreviousCheckpoint), ec);
  if (ec) throw Error(current + ": cannot keep the previous checkpoint: " + ec.message());
  // Serialised in memory, then written: LibTorch's zip writer, writing to a file that the disk or
  // a quota cuts short, throws from its destructor and so aborts the process.
  write_file_atomically(current, checkpoint_bytes(archive));
}

std::optional<LoadedCheckpoint> load_checkpoint(const std::string& run_dir, const std::string& key,
                                                const torch::Device& device, dist::Communicator& comm) {
  // Rank 0 picks the newest whole file; the others get its bytes, or what was wrong with them all.
  std::string bytes, path, failure;
  if (comm.rank() == 0) {
    std::string problem;
    for (const char* name : {kRunCheckpoint, kRunPreviousCheckpoint}) {
      const std::string candidate = path_in(run_dir, name);
      if (!std::filesystem::exists(candidate)) continue;
      if (!problem.empty()) log::warn("{}; trying the one before it", problem);
      std::string content = read_whole_file(candidate);
      if (const auto why = checkpoint_problem(content)) {
        problem = candidate + ": " + *why;
        continue;
      }
      bytes = std::move(content);
      path = candidate;
      break;
    }
    if (bytes.empty() && !problem.empty()) failure = problem + "; no whole checkpoint to resume from";
  }
  failure = dist::broadcast_text(comm, failure);
  if (!failure.empty()) throw Error(failure);
  bytes = dist::broadcast_text(comm, bytes);
  path = dist::broadcast_text(comm, path);
  if (bytes.empty()) return std::nullopt;
  return read_checkpoint(bytes, path, key, device);
}

void restore_training_state(torch::serialize::InputArchive& archive, Trainer& trainer) {
  torch::serialize::InputArchive model, optimizer;
  archive.read("model", model);
  archive.read("optimizer", optimizer);
  trainer.model()->load(model);
  trainer.optimizer().load(optimizer);
}

std::vector<std::string> remove_checkpoints(const std::string& run_dir) {
  std::vector<std::string> removed;
  for (const char* name : {kRunCheckpoint, kRunPreviousCheckpoint})
    if (remove_if_present(path_in(run_dir, name))) removed.emplace_back(name);
  return removed;
}

}  // namespace gat::train
