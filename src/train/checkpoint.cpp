// One archive per checkpoint: run progress, the seed's FitState, then the trainer's state.
#include "train/checkpoint.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/log.h"
#include "dist/consistency.h"

namespace gat::train {
namespace {

constexpr const char* kFormat = "gat-checkpoint 1";
constexpr const char* kCurrent = "checkpoint.pt";
constexpr const char* kPrevious = "checkpoint.prev.pt";

std::string path_in(const std::string& dir, const char* name) { return (std::filesystem::path(dir) / name).string(); }

void write_tensors(torch::serialize::OutputArchive& archive, const std::string& key, const std::vector<torch::Tensor>& tensors) {
  torch::serialize::OutputArchive list;
  for (std::size_t i = 0; i < tensors.size(); ++i) list.write(std::to_string(i), tensors[i]);
  list.write("size", c10::IValue(static_cast<int64_t>(tensors.size())));
  archive.write(key, list);
}

std::vector<torch::Tensor> read_tensors(torch::serialize::InputArchive& archive, const std::string& key) {
  torch::serialize::InputArchive list;
  archive.read(key, list);
  c10::IValue size;
  list.read("size", size);
  std::vector<torch::Tensor> tensors(size.toInt());
  for (std::size_t i = 0; i < tensors.size(); ++i) list.read(std::to_string(i), tensors[i]);
  return tensors;
}

// Scalars and strings of the archive, by key.
struct Fields {
  torch::serialize::InputArchive& archive;
  c10::IValue get(const char* key) {
    c10::IValue v;
    archive.read(key, v);
    return v;
  }
  int64_t integer(const char* key) { return get(key).toInt(); }
  double real(const char* key) { return get(key).toDouble(); }
  std::string text(const char* key) { return get(key).toStringRef(); }
};

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return in ? bytes.str() : std::string();
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
  c.dist = defaults.dist;
  return config::to_yaml(c) + dist::describe_shape(dataset);
}

void save_checkpoint(const std::string& run_dir, const std::string& key, const RunProgress& progress,
                     Trainer& trainer, dist::Communicator& comm) {
  torch::serialize::OutputArchive archive;
  archive.write("format", c10::IValue(std::string(kFormat)));
  archive.write("key", c10::IValue(key));
  archive.write("seed_index", c10::IValue(progress.seed_index));
  archive.write("results", progress.results);
  archive.write("best_val", c10::IValue(progress.best_val));
  write_tensors(archive, "best_params", progress.best_params);
  archive.write("metrics_lines", c10::IValue(progress.metrics_lines));
  const FitState& f = progress.fit;
  archive.write("epoch", c10::IValue(f.epoch));
  archive.write("steps_done", c10::IValue(f.steps_done));
  archive.write("order", torch::tensor(f.order, torch::kInt64));
  archive.write("shuffle_rng", c10::IValue(f.shuffle_rng));
  archive.write("loss_sum", c10::IValue(f.loss_sum));
  archive.write("loss_nodes", c10::IValue(f.loss_nodes));
  archive.write("stopping_bad_epochs", c10::IValue(f.stopping.bad_epochs));
  archive.write("stopping_best_loss", c10::IValue(f.stopping.best_loss));
  archive.write("stopping_best_metric", c10::IValue(f.stopping.best_metric));
  archive.write("result", to_row(f.result));
  write_tensors(archive, "kept", f.kept);
  trainer.save_training_state(archive);  // a collective: every rank gets here
  if (comm.rank() != 0) return;
  const std::string current = path_in(run_dir, kCurrent);
  std::error_code ec;
  if (std::filesystem::exists(current)) std::filesystem::rename(current, path_in(run_dir, kPrevious), ec);
  if (ec) throw Error(current + ": cannot keep the previous checkpoint: " + ec.message());
  // Serialised in memory, then written: LibTorch's zip writer, writing to a file that the disk or
  // a quota cuts short, throws from its destructor and so aborts the process.
  std::ostringstream bytes;
  archive.save_to(bytes);
  write_file_atomically(current, bytes.str());
}

std::optional<LoadedCheckpoint> load_checkpoint(const std::string& run_dir, const std::string& key,
                                                const torch::Device& device, dist::Communicator& comm) {
  // Rank 0 picks the newest file that reads as an archive; the others get its bytes.
  std::string bytes, path;
  if (comm.rank() == 0) {
    for (const char* name : {kCurrent, kPrevious}) {
      const std::string candidate = path_in(run_dir, name);
      if (!std::filesystem::exists(candidate)) continue;
      std::string content = read_bytes(candidate);
      try {
        torch::serialize::InputArchive probe;
        probe.load_from(content.data(), content.size());
        bytes = std::move(content);
        path = candidate;
        break;
      } catch (const c10::Error&) {
        log::warn("{}: not a readable checkpoint; trying the one before it", candidate);
      }
    }
  }
  bytes = dist::broadcast_text(comm, bytes);
  path = dist::broadcast_text(comm, path);
  if (bytes.empty()) return std::nullopt;

  LoadedCheckpoint loaded;
  loaded.path = path;
  loaded.archive = std::make_shared<torch::serialize::InputArchive>();
  loaded.archive->load_from(bytes.data(), bytes.size(), device);
  Fields fields{*loaded.archive};
  if (fields.text("format") != kFormat) throw Error(path + ": expected a checkpoint of format '" + std::string(kFormat) + "'");
  if (const std::string theirs = fields.text("key"); theirs != key) {
    const auto [here, there] = dist::first_difference(key, theirs);
    throw Error(path + ": written for another config or data: this run has '" + here + "', the checkpoint '" +
                there + "'");
  }
  RunProgress& p = loaded.progress;
  p.seed_index = fields.integer("seed_index");
  loaded.archive->read("results", p.results);
  p.results = p.results.cpu();
  p.best_val = fields.real("best_val");
  p.best_params = read_tensors(*loaded.archive, "best_params");
  p.metrics_lines = fields.integer("metrics_lines");
  FitState& f = p.fit;
  f.epoch = fields.integer("epoch");
  f.steps_done = fields.integer("steps_done");
  torch::Tensor order;
  loaded.archive->read("order", order);
  order = order.cpu().contiguous();
  f.order.assign(order.data_ptr<int64_t>(), order.data_ptr<int64_t>() + order.numel());
  f.shuffle_rng = fields.text("shuffle_rng");
  f.loss_sum = fields.real("loss_sum");
  f.loss_nodes = fields.real("loss_nodes");
  f.stopping = {fields.integer("stopping_bad_epochs"), fields.real("stopping_best_loss"),
                fields.real("stopping_best_metric")};
  torch::Tensor row;
  loaded.archive->read("result", row);
  f.result = seed_result(row.cpu());
  f.kept = read_tensors(*loaded.archive, "kept");
  return loaded;
}

std::vector<std::string> remove_checkpoints(const std::string& run_dir) {
  std::vector<std::string> removed;
  for (const char* name : {kCurrent, kPrevious})
    if (remove_if_present(path_in(run_dir, name))) removed.emplace_back(name);
  return removed;
}

}  // namespace gat::train
