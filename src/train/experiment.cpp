// Seeds, aggregation and the run directory.
#include "train/experiment.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/log.h"
#include "common/memory_limit.h"
#include "common/record_file.h"
#include "common/stop_signals.h"
#include "data/graph_ids.h"
#include "train/checkpoint.h"
#include "train/model_file.h"
#include "train/progress.h"
#include "train/run_directory.h"
#include "train/trainer.h"

namespace gat::train {
namespace {

nlohmann::json to_json(const SeedResult& r) {
  return {{"seed", r.seed},
          {"test", r.test},
          {"val", r.val},
          {"val_loss", r.val_loss},
          {"best_epoch", r.best_epoch},
          {"epochs", r.epochs},
          {"seconds", r.seconds},
          {"skipped_steps", r.skipped_steps}};
}

nlohmann::json to_json(const EpochRecord& r) {
  return {{"seed", r.seed},         {"epoch", r.epoch}, {"train_loss", r.train_loss},
          {"val_loss", r.val_loss}, {"val", r.val},     {"seconds", r.seconds}};
}

// Epoch records travel between ranks as float64 rows, as SeedResults do.
torch::Tensor to_row(const EpochRecord& e) {
  return torch::tensor({double(e.seed), double(e.epoch), e.train_loss, e.val_loss, e.val, e.seconds}, torch::kFloat64);
}
EpochRecord epoch_record(const torch::Tensor& row) {
  const auto a = row.accessor<double, 1>();
  return {int64_t(a[0]), int64_t(a[1]), a[2], a[3], a[4], a[5]};
}

// Clears what an earlier run left in the run directory (RunDirectory::clear_earlier_run), naming
// it in one warning.
void clear_run_directory(RunDirectory& dir, bool resuming) {
  const std::vector<std::string> removed = dir.clear_earlier_run(resuming);
  if (removed.empty()) return;
  std::string names;
  for (const std::string& name : removed) names += (names.empty() ? "" : ", ") + name;
  log::warn("{}: removed what an earlier run left: {}", dir.path(), names);
}

// Training needs nodes to train on, and validation nodes for early stopping and the choice of the
// kept model; a split without nodes would otherwise give an untrained model or scores of 0.0. A
// run without test nodes reports no test score (results.json says why instead).
void require_train_and_val_nodes(const data::GraphDataset& dataset) {
  if (data::split_nodes(dataset, dataset.train) == 0)
    throw Error(dataset.path + ": /splits/train: expected nodes to train on, got an empty split");
  if (data::split_nodes(dataset, dataset.val) == 0)
    throw Error(dataset.path +
                ": /splits/val: expected nodes to validate on (early stopping and the kept model "
                "depend on them), got an empty split");
}

// trainer.fit, where a stop signal ends the whole job: when the ranks train different seeds
// (`together` false), only the rank that caught it stops, so it ends the others too.
SeedResult fit_seed(Trainer& trainer, int64_t seed, const std::function<void(const EpochRecord&)>& on_epoch,
                    const Checkpointing& checkpointing, const ResumePoint* point, bool together) {
  try {
    return trainer.fit(seed, on_epoch, checkpointing, point);
  } catch (const Preempted& e) {
    if (together) throw;
    throw Preempted(std::string(e.what()) + " (ranks that train different seeds keep none)", /*every_rank=*/false);
  }
}

// Which rank trains which seed. All ranks train each seed together (ranks_share_each_seed), or
// rank r trains seeds k with k % ranks == r alone.
struct SeedPlan {
  bool data_parallel = false;
  int64_t ranks = 1;
  int64_t seeds = 1;

  int64_t owner(int64_t k) const { return data_parallel ? 0 : k % ranks; }
  // A checkpoint holds one trainer's state, so a run whose ranks train different seeds has none.
  bool checkpoints() const { return data_parallel || ranks == 1; }
};

SeedPlan plan_seeds(const config::Config& config, const data::GraphDataset& dataset, const dist::Communicator& comm) {
  const SeedPlan plan{ranks_share_each_seed(config, dataset), comm.size(), config.train.seeds};
  if (config.train.resume == ResumeMode::kRequired && !plan.checkpoints())
    throw Error(
        "train.resume: runs whose ranks train different seeds (node-level data on several ranks) "
        "keep no checkpoints");
  return plan;
}

// The run directory, locked by rank 0 until the run ends, and where the run starts: afresh, or
// from the directory's checkpoint.
struct RunStart {
  std::filesystem::path dir;
  std::optional<RunDirectory> run_dir;  // rank 0's
  std::string key;                      // what a checkpoint must have been written for
  std::optional<LoadedCheckpoint> resumed;
  RunProgress progress;
  std::optional<RecordFile> metrics;  // rank 0's metrics.jsonl

  RunStart(const config::Config& config, const data::GraphDataset& dataset, dist::Communicator& comm,
           const torch::Device& device, const SeedPlan& plan)
      : dir(config.train.run_dir) {
    if (comm.rank() == 0) run_dir.emplace(dir.string());
    key = resume_key(config, dataset);
    if (config.train.resume != ResumeMode::kOff && plan.checkpoints()) {
      resumed = load_checkpoint(dir.string(), key, device, comm);
      if (!resumed && config.train.resume == ResumeMode::kRequired)
        throw Error((dir / kRunCheckpoint).string() + ": no checkpoint to resume from (train.resume: required)");
    }
    progress.results = torch::zeros({plan.seeds, 8}, torch::kFloat64);
    if (resumed) {
      progress = resumed->progress;
      log::info("resuming from {}: seed {} epoch {} after step {}", resumed->path,
                config.train.seed + progress.seed_index, progress.fit.epoch, progress.fit.steps_done);
    }
    if (run_dir) start_files(config);
  }

 private:
  // Clears what an earlier run left and writes config.yaml; a resumed run keeps the lines of
  // metrics.jsonl that its checkpoint had seen and drops any later ones.
  void start_files(const config::Config& config) {
    clear_run_directory(*run_dir, resumed.has_value());
    write_file_atomically(run_dir->file(kRunConfig), config::to_yaml(config));
    std::string kept_lines;
    if (resumed) {
      std::ifstream old(run_dir->file(kRunMetrics));
      std::string line;
      for (int64_t i = 0; i < progress.metrics_lines && std::getline(old, line); ++i) kept_lines += line + "\n";
    }
    write_file_atomically(run_dir->file(kRunMetrics), kept_lines);
    metrics.emplace(run_dir->file(kRunMetrics));
  }
};

// Rank 0's record of each epoch: a line of metrics.jsonl and of the log, after the progress line.
class EpochLog {
 public:
  EpochLog(RunStart& run, data::Task task)
      : run_(run),
        metric_(metric_name(task)),
        line_(run.run_dir && stderr_is_terminal() && spdlog::should_log(spdlog::level::info)) {}

  ProgressLine& progress_line() { return line_; }

  void write(const EpochRecord& e) {
    line_.clear();
    run_.metrics->append(to_json(e).dump() + "\n");
    ++run_.progress.metrics_lines;
    log::info("seed {} epoch {:4d}  train_loss {:.4f}  val_loss {:.4f}  val_{} {:.4f}  {:.1f} ms", e.seed, e.epoch,
              e.train_loss, e.val_loss, metric_, e.val, 1e3 * e.seconds);
  }

 private:
  RunStart& run_;
  const char* metric_;
  ProgressLine line_;
};

// Trains the seeds this rank owns, from where `run` starts; keeps in run.progress each seed's
// result row and the parameters of this rank's best seed. Returns the epochs of seeds this rank
// trained alone for rank 0 to write.
std::vector<std::vector<EpochRecord>> train_seeds(const config::Config& config, Trainer& trainer,
                                                  dist::Communicator& comm, const SeedPlan& plan, RunStart& run,
                                                  EpochLog& epoch_log) {
  const bool writer = comm.rank() == 0;
  RunProgress& progress = run.progress;
  std::vector<std::vector<EpochRecord>> epochs(plan.seeds);
  // From here a SIGTERM or SIGUSR1 means: checkpoint, then stop. Before, it ends the process at
  // once, wherever it waits (a slow file system, a rank that never comes): there is nothing to save.
  catch_stop_signals();
  for (int64_t k = progress.seed_index; k < plan.seeds; ++k) {
    if (!plan.data_parallel && plan.owner(k) != comm.rank()) continue;
    progress.seed_index = k;
    Checkpointing checkpointing;
    if (plan.checkpoints()) {
      checkpointing.every = config.train.checkpoint_every;
      checkpointing.save = [&](const FitState& state) {
        progress.fit = state;
        save_checkpoint(run.dir.string(), run.key, progress, trainer, comm);
        log::debug("checkpoint: seed {} epoch {} after step {}", config.train.seed + k, state.epoch, state.steps_done);
      };
    }
    std::optional<ResumePoint> point;
    if (run.resumed && k == run.resumed->progress.seed_index)
      point =
          ResumePoint{run.resumed->progress.fit, [&](Trainer& t) { restore_training_state(*run.resumed->archive, t); }};
    const SeedResult r = fit_seed(
        trainer, config.train.seed + k,
        [&](const EpochRecord& e) {
          if (writer)
            epoch_log.write(e);
          else if (!plan.data_parallel)
            epochs[k].push_back(e);
        },
        checkpointing, point ? &*point : nullptr, plan.checkpoints());
    epoch_log.progress_line().clear();
    log::info("seed {}: test_{} {:.4f} (val {:.4f}, best epoch {} of {}, {:.1f} s)", r.seed,
              metric_name(trainer.batches().dataset().task), r.test, r.val, r.best_epoch, r.epochs, r.seconds);
    if (comm.rank() == plan.owner(k)) progress.results[k] = to_row(r);
    if (r.val > progress.best_val) {
      progress.best_val = r.val;
      progress.best_params.clear();
      for (const auto& p : trainer.model()->parameters()) progress.best_params.push_back(p.detach().clone());
    }
  }
  return epochs;
}

// Brings together on every rank what the ranks trained: each seed's result (by sum: each row is
// non-zero on its owner only), and by broadcast from their owner the epochs rank 0 writes and the
// winning model, which it leaves in trainer.model(). Returns the results in seed order and the
// index of the best seed by validation score.
std::pair<std::vector<SeedResult>, int64_t> gather_seeds(Trainer& trainer, dist::Communicator& comm,
                                                         const SeedPlan& plan, RunProgress& progress,
                                                         const std::vector<std::vector<EpochRecord>>& epochs,
                                                         EpochLog& epoch_log, int64_t first_seed) {
  const bool writer = comm.rank() == 0;
  comm.all_reduce(progress.results, dist::ReduceOp::kSum);
  std::vector<SeedResult> runs;
  int64_t best_k = 0;
  for (int64_t k = 0; k < plan.seeds; ++k) {
    runs.push_back(seed_result(progress.results[k]));
    if (runs[k].val > runs[best_k].val) best_k = k;
  }
  for (int64_t k = 0; k < plan.seeds && !plan.data_parallel && plan.ranks > 1; ++k) {
    if (plan.owner(k) == 0) continue;
    torch::Tensor count = torch::tensor({int64_t(epochs[k].size())});
    comm.broadcast(count, plan.owner(k));
    torch::Tensor rows = torch::empty({count.item<int64_t>(), 6}, torch::kFloat64);
    for (std::size_t i = 0; i < epochs[k].size(); ++i) rows[i] = to_row(epochs[k][i]);
    torch::Tensor flat = rows.view(-1);
    comm.broadcast(flat, plan.owner(k));
    if (writer)
      for (int64_t i = 0; i < rows.size(0); ++i) epoch_log.write(epoch_record(rows[i]));
  }
  // A rank that trained no seed (more ranks than seeds) has no model yet, and needs one to take
  // part in the broadcast of the winning parameters.
  if (!trainer.model()) trainer.reset(first_seed);
  const auto params = trainer.model()->parameters();
  torch::NoGradGuard no_grad;
  for (std::size_t i = 0; i < params.size(); ++i) {
    const bool have = plan.data_parallel || plan.owner(best_k) == comm.rank();
    torch::Tensor p = have ? progress.best_params[i] : torch::empty_like(params[i]);
    torch::Tensor flat = p.view(-1);
    if (!plan.data_parallel) comm.broadcast(flat, plan.owner(best_k));
    params[i].copy_(p);
  }
  return {runs, best_k};
}

// The summary table, one row per seed, and results.json's content.
nlohmann::json summarize(const config::Config& config, const data::GraphDataset& dataset, dist::Communicator& comm,
                         const std::vector<SeedResult>& runs, int64_t best_k, bool has_test, double seconds) {
  const char* metric = metric_name(dataset.task);
  const int64_t seeds = static_cast<int64_t>(runs.size());
  double test_mean = 0, val_mean = 0, test_var = 0;
  for (const auto& r : runs) test_mean += r.test / seeds, val_mean += r.val / seeds;
  for (const auto& r : runs) test_var += (r.test - test_mean) * (r.test - test_mean) / seeds;
  nlohmann::json seed_list = nlohmann::json::array(), per_seed = nlohmann::json::array();
  for (const auto& r : runs) seed_list.push_back(r.seed), per_seed.push_back(to_json(r));
  const SeedResult& best = runs[best_k];
  log::info("{:>6} {:>7} {:>10} {:>14} {:>14} {:>9}", "seed", "epochs", "kept_epoch", std::string("val_") + metric,
            std::string("test_") + metric, "seconds");
  for (const auto& r : runs)
    log::info("{:>6} {:>7} {:>10} {:>14.4f} {:>14.4f} {:>9.1f}", r.seed, r.epochs, r.best_epoch, r.val, r.test,
              r.seconds);
  if (seeds > 1)
    log::info("{:>25} {:>14.4f} {:>14.4f} (mean; test std {:.4f})", "", val_mean, test_mean, std::sqrt(test_var));
  if (!has_test)
    for (auto& run : per_seed) run.erase("test");
  nlohmann::json out = {
      {"dataset", std::filesystem::path(config.data.path).stem().string()},
      {"task", data::to_string(dataset.task)},
      {"metric", metric},
      {"test", test_mean},
      {"val", val_mean},
      {"best_seed", best.seed},
      {"best_epoch", best.best_epoch},
      {"epochs", best.epochs},
      {"seconds", seconds},
      {"world_size", comm.size()},
      {"seeds", seed_list},
      {"test_mean", test_mean},
      {"test_std", std::sqrt(test_var)},
      {"runs", per_seed},
      {"run_dir", config.train.run_dir},
  };
  if (!has_test) {
    for (const char* key : {"test", "test_mean", "test_std"}) out.erase(key);
    out["test_absent"] = dataset.path + ": /splits/test is empty";
  }
  return out;
}

}  // namespace

data::GraphDataset load_dataset(const config::Config& config) {
  const std::string& path = config.data.path;
  bool stream = config.data.load == LoadMode::kStream;
  if (config.data.load == LoadMode::kAuto) {
    std::error_code ec;
    const auto bytes = static_cast<double>(std::filesystem::file_size(path, ec));  // a missing file: the loader says
    const auto available = static_cast<double>(available_memory_bytes());
    stream = !ec && bytes > available / 4;
    log::info("data.load: auto: {} {} ({:.2f} GB; a quarter of the memory available is {:.2f} GB)",
              stream ? "streaming" : "reading whole", path, bytes / 1e9, available / 4e9);
  }
  if (stream && config.data.ignore_edges)
    throw Error(path + ": data.ignore_edges needs the file in memory (data.load: memory)");
  data::GraphDataset dataset = data::load_graph_dataset(path, /*values=*/!stream);
  if (const int64_t q = config.data.clusters_per_batch; q > 0) {
    if (!dataset.partition)
      throw Error(path + ": data.clusters_per_batch: " + std::to_string(q) +
                  " needs a partitioned graph (a version-2 file, from gat_data.py partition)");
    if (q > dataset.partition->num_clusters())
      throw Error(fmt::format("{}: data.clusters_per_batch: expected at most the file's {} clusters, got {}", path,
                              dataset.partition->num_clusters(), q));
  }
  return config.data.ignore_edges ? data::without_edges(std::move(dataset)) : dataset;
}

bool ranks_share_each_seed(const config::Config& config, const data::GraphDataset& dataset) {
  return dataset.train.level == data::SplitLevel::kGraph || config.data.clusters_per_batch > 0;
}

nlohmann::json run_experiment(const config::Config& config, const data::GraphDataset& dataset, dist::Communicator& comm,
                              const torch::Device& device) {
  const auto start = std::chrono::steady_clock::now();
  const bool writer = comm.rank() == 0;
  require_train_and_val_nodes(dataset);
  const bool has_test = data::split_nodes(dataset, dataset.test) > 0;
  if (!has_test && writer) log::warn("{}: /splits/test is empty: the results hold no test score", dataset.path);
  const SeedPlan plan = plan_seeds(config, dataset, comm);
  RunStart run(config, dataset, comm, device, plan);
  EpochLog epoch_log(run, dataset.task);

  dist::LocalCommunicator alone;
  Trainer trainer(config, dataset, plan.data_parallel ? comm : static_cast<dist::Communicator&>(alone), device);
  trainer.set_step_observer([&](const StepProgress& p) { epoch_log.progress_line().step(p); });
  const auto epochs = train_seeds(config, trainer, comm, plan, run, epoch_log);

  const auto [runs, best_k] = gather_seeds(trainer, comm, plan, run.progress, epochs, epoch_log, config.train.seed);
  if (writer) {
    trainer.model()->to(torch::kCPU);  // readable on any machine; the run is over
    save_model(*trainer.model(), dataset.task, run.run_dir->file(kRunKeptModel));
  }
  const nlohmann::json out = summarize(config, dataset, comm, runs, best_k, has_test,
                                       std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  if (writer) {
    write_file_atomically(run.run_dir->file(kRunResults), out.dump(2) + "\n");
    remove_checkpoints(run.dir.string());
  }
  return out;
}

}  // namespace gat::train
