// gat_sweep: trains every combination of the --grid values, each over --seeds seeds, one run
// directory per combination and seed, and writes a summary of them. Under mpirun, node-level data
// (one graph, which every rank holds whole) spreads the runs over the ranks, one rank a run;
// graph-level data trains the runs one after another, each data-parallel over all ranks. A sweep
// started again skips finished runs and continues interrupted ones from their checkpoints.
#include <iostream>
#include <map>
#include <optional>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/log.h"
#include "common/memory.h"
#include "config/config.h"
#include "data/graph_dataset.h"
#include "dist/consistency.h"
#include "tools/run_setup.h"
#include "tools/tool_main.h"
#include "train/experiment.h"
#include "train/model_memory.h"
#include "train/run_directory.h"
#include "train/sweep_plan.h"
#include "train/sweep_summary.h"

namespace {

using gat::train::RunState;
using gat::train::SweepPlan;
using gat::train::SweepRun;

// --shard I/N: this invocation takes the runs whose index is I modulo N (a Slurm array task's part).
struct Shard {
  int64_t index = 0, count = 1;
  bool has(size_t run) const { return static_cast<int64_t>(run) % count == index; }
};

Shard parse_shard(const std::string& text) {
  if (text.empty()) return {};
  Shard shard;
  char slash = 0, rest = 0;
  if (std::sscanf(text.c_str(), "%ld%c%ld%c", &shard.index, &slash, &shard.count, &rest) != 3 || slash != '/' ||
      shard.count < 1 || shard.index < 0 || shard.index >= shard.count)
    throw gat::Error("--shard " + text + ": expected I/N with 0 <= I < N, e.g. 0/4");
  return shard;
}

// The config's data section alone, as text: runs with equal keys train on the same dataset.
std::string data_key(const gat::config::Config& config) {
  gat::config::Config data_only;
  data_only.data = config.data;
  return gat::config::to_yaml(data_only);
}

// A run directory that already holds a run (finished, or interrupted with its config.yaml
// written) must hold this run: a sweep started again with other --sets or another config file
// would otherwise count the old runs as its own. Returns the error line for one that does not, or
// "".
std::string other_config_in(const SweepPlan& plan, const SweepRun& run) {
  const std::string path = run.dir + "/" + gat::train::kRunConfig;
  const std::string written = gat::read_whole_file(path);
  if (written.empty()) return "";
  const std::string wanted = gat::config::to_yaml(plan.config(run));
  if (written == wanted) return "";
  const auto [here, there] = gat::dist::first_difference(wanted, written);
  return path + ": the directory holds a run of another config (this sweep '" + here + "', the run '" + there +
         "'); give another --dir or remove it";
}

// What every rank does with the runs it takes part in: the dataset (read again only when a run's
// data section differs from the last one read), the compute set-up, the run itself. A run that
// diverges leaves failed.txt with its line and the sweep goes on.
class RunTrainer {
 public:
  explicit RunTrainer(gat::dist::Communicator& host) : host_(host) {}

  // Whether each combination's runs spread over the ranks (one graph trained whole) or each run
  // takes all ranks (graph-level data, or a graph trained on clusters; train/experiment.h). Reads each distinct data
  // section's file as training does (a large graph-level file only in part, data.load: auto), so that a bad file stops
  // the sweep before any run; the last one read stays for the first runs.
  std::vector<bool> spread_combinations(const SweepPlan& plan) {
    std::map<std::string, bool> by_data;
    std::vector<bool> spread;
    for (int64_t c = 0; c < static_cast<int64_t>(plan.combinations().size()); ++c) {
      const gat::config::Config config = plan.config(SweepRun{c});
      const std::string key = data_key(config);
      if (!by_data.count(key)) by_data[key] = !gat::train::ranks_share_each_seed(config, dataset(config));
      spread.push_back(by_data[key]);
    }
    return spread;
  }

  // `alone`: this rank trains the run by itself, while the other ranks train others.
  void train(const SweepPlan& plan, const SweepRun& run, bool alone) {
    const gat::config::Config config = plan.config(run);
    // Threads and device as for a job of all ranks (cores and GPUs shared among the node's ranks);
    // a rank alone sets up no NCCL communicator, a collective the other ranks would not join.
    gat::config::Config setup_config = config;
    if (alone) setup_config.dist.backend = gat::Backend::kMpi;
    gat::tools::RunSetup setup(host_, setup_config);
    const gat::data::GraphDataset& data = dataset(config);
    gat::train::check_model_fits_memory(config.model, data, gat::train::ModelUse::kTraining);
    gat::dist::LocalCommunicator one;
    gat::dist::Communicator& comm = alone ? static_cast<gat::dist::Communicator&>(one) : setup.comm();
    gat::log::info("{}: {} seed {}{}", run.dir, plan.name(run.combination), run.seed,
                   alone ? "" : fmt::format(" on {} ranks", comm.size()));
    try {
      const nlohmann::json results = gat::train::run_experiment(config, data, comm, setup.device());
      gat::log::info("{}: val {:.4f}, test {:.4f}, {} epochs", run.dir, results["val"].get<double>(),
                     results.value("test", std::nan("")), results["epochs"].get<int64_t>());
    } catch (const gat::Diverged& e) {
      if (comm.rank() == 0)
        gat::write_file_atomically(run.dir + "/" + gat::train::kRunFailed, e.what() + std::string("\n"));
      gat::log::warn("{}: {} (recorded in {}; the sweep goes on)", run.dir, e.what(), gat::train::kRunFailed);
    } catch (const gat::Preempted& e) {
      // Ranks that train different runs stop at different moments: end the job from here.
      if (alone) throw gat::Preempted(e.what(), /*every_rank=*/false);
      throw;
    }
  }

 private:
  const gat::data::GraphDataset& dataset(const gat::config::Config& config) {
    if (const std::string key = data_key(config); key != data_key_) {
      dataset_.reset();  // one dataset in memory at a time
      dataset_.emplace(gat::train::load_dataset(config));
      data_key_ = key;
    }
    return *dataset_;
  }

  gat::dist::Communicator& host_;
  std::string data_key_;
  std::optional<gat::data::GraphDataset> dataset_;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Train a grid of configs over several seeds and summarise them."};
  std::string config_path, dir, shard_text, log_level = "info";
  std::vector<std::string> sets, grids;
  int64_t seeds = 0;
  app.add_option("--config", config_path, "YAML experiment file every run starts from")->required();
  app.add_option("--set", sets, "Override a key in every run, as gat_train's --set");
  app.add_option("--grid", grids, "A key and its values, e.g. --grid train.lr=0.005,0.01 (repeat for more keys)");
  app.add_option("--seeds", seeds, "Seeds per combination, from train.seed on (default: the config's train.seeds)");
  app.add_option("--dir", dir, "Where the runs and the summary go (default: sweeps/<config name>)");
  app.add_option("--shard", shard_text, "I/N: run only runs I, I+N, I+2N, ... (a Slurm array task's part)");
  gat::tools::add_rank_log_level(app, log_level);
  return gat::tools::run_tool("gat_sweep", app, argc, argv, [&](gat::dist::Communicator& host) {
    gat::tools::start_rank_logging(host, log_level);
    gat::keep_freed_memory();
    std::vector<gat::train::SweepAxis> axes;
    for (const std::string& grid : grids) axes.push_back(gat::train::parse_axis(grid));
    const Shard shard = parse_shard(shard_text);
    const SweepPlan plan(config_path, sets, axes, seeds, dir);
    RunTrainer trainer(host);
    const std::vector<bool> spread_runs = trainer.spread_combinations(plan);
    std::string listing;
    for (const SweepRun& run : plan.runs()) listing += run.dir + "\n";
    gat::dist::check_same_on_all_ranks(host, "sweep", listing);

    // Rank 0 reads which runs are done, so that every rank works from the same list, and every
    // rank stops alike on a directory of another config's run.
    const auto& runs = plan.runs();
    torch::Tensor state = torch::zeros({static_cast<int64_t>(runs.size())}, torch::kInt64);
    std::string other_run;
    if (host.rank() == 0)
      for (size_t i = 0; i < runs.size() && other_run.empty(); ++i) {
        state[i] = static_cast<int64_t>(gat::train::run_state(runs[i]));
        if (shard.has(i)) other_run = other_config_in(plan, runs[i]);
      }
    if (const std::string error = gat::dist::broadcast_text(host, other_run); !error.empty()) throw gat::Error(error);
    host.broadcast(state, 0);
    std::vector<size_t> spread, together;
    for (size_t i = 0; i < runs.size(); ++i)
      if (shard.has(i) && state[i].item<int64_t>() == static_cast<int64_t>(RunState::kPending))
        (spread_runs[runs[i].combination] ? spread : together).push_back(i);
    gat::log::info("{}: {} combinations x {} seeds = {} runs{}; {} to train ({} spread over {} ranks, {} on all)",
                   plan.dir(), plan.combinations().size(), runs.size() / plan.combinations().size(), runs.size(),
                   shard.count > 1 ? fmt::format(", shard {}/{}", shard.index, shard.count) : "",
                   spread.size() + together.size(), spread.size(), host.size(), together.size());

    // Ranks finish their shares of spread runs at different times, hours apart in a big sweep: they
    // wait for each other without the collective timeout. A rank that fails still ends the job
    // (run_reporting_errors).
    auto wait_for_every_rank = [&] {
      host.set_timeout(0);
      host.barrier();
    };
    for (size_t k = host.rank(); k < spread.size(); k += host.size()) trainer.train(plan, runs[spread[k]], true);
    wait_for_every_rank();
    for (size_t i : together) trainer.train(plan, runs[i], false);
    wait_for_every_rank();

    if (host.rank() != 0) return;
    size_t unfinished = 0;
    for (const SweepRun& run : runs) unfinished += gat::train::run_state(run) == RunState::kPending;
    if (unfinished > 0) {
      gat::log::info("{}: {} runs of other shards are not finished; the last shard to finish writes the summary",
                     plan.dir(), unfinished);
      return;
    }
    const std::string table = gat::train::write_sweep_summary(plan);
    gat::log::info("{}: wrote summary.csv, summary.md and summary.svg", plan.dir());
    std::cout << table << std::flush;
  });
}
