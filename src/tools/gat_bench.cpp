// gat_bench: times training steps (forward, backward, all-reduce, Adam) of a config's model on its
// dataset and prints one JSON line (rank 0). Speed is measured here, never asserted in tests.
// Under mpirun the step's global batch is split across ranks as in training.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <iostream>

#include "common/error.h"
#include "common/log.h"
#include "common/threads.h"
#include "config/config.h"
#include "data/graph_dataset.h"
#include "data/random_graphs.h"
#include "dist/mpi_communicator.h"
#include "train/experiment.h"
#include "train/trainer.h"

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;  // Linux reports KiB
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Time GAT training steps on a config's dataset."};
  std::string config_path;
  std::vector<std::string> overrides;
  int threads = 0, steps = 50, warmup = 5;
  app.add_option("--config", config_path, "YAML experiment file")->required();
  app.add_option("--set", overrides, "Override a config key, as in gat_train");
  app.add_option("--threads", threads, "Compute threads (default: train.threads, else all cores)");
  app.add_option("--steps", steps, "Timed steps")->check(CLI::PositiveNumber);
  app.add_option("--warmup", warmup, "Untimed steps first")->check(CLI::NonNegativeNumber);
  gat::data::RandomGraphsOptions shape;
  auto* graphs_flag = app.add_option("--graphs", shape.graphs,
                                     "Time a batch of this many random graphs instead of the config's data")
                          ->check(CLI::PositiveNumber);
  app.add_option("--nodes", shape.nodes, "Nodes per random graph")->needs(graphs_flag)->check(CLI::PositiveNumber);
  app.add_option("--degree", shape.degree, "Directed edges drawn per node (both directions are kept)")
      ->needs(graphs_flag)
      ->check(CLI::PositiveNumber);
  app.add_option("--features", shape.features, "Features per node of the random graphs")->needs(graphs_flag);
  app.add_option("--classes", shape.classes, "Labels (multilabel) of the random graphs")->needs(graphs_flag);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : gat::kInputErrorExit;
  }
  std::unique_ptr<gat::dist::Communicator> comm_holder;
  try {
    comm_holder = gat::dist::make_communicator();
    gat::dist::Communicator& comm = *comm_holder;
    gat::log::init(comm.rank(), "warn");
    const gat::config::Config config = gat::config::load_config(config_path, overrides);
    const int used =
        gat::set_compute_threads(threads > 0 ? threads : static_cast<int>(config.train.threads), comm.local_size());
    const bool random = graphs_flag->count() > 0;
    const gat::data::GraphDataset dataset =
        random ? gat::data::random_graphs(shape) : gat::train::load_dataset(config);
    gat::train::Trainer trainer(config, dataset, comm);
    trainer.reset(config.train.seed);
    // Graph-level data: each step takes the first train.batch_graphs training graphs; random
    // graphs are all one batch.
    std::vector<int64_t> graphs = gat::train::graph_ids(dataset.train);
    if (!random) graphs.resize(std::min<std::size_t>(graphs.size(), config.train.batch_graphs));
    int64_t nodes = dataset.num_nodes(), edges = dataset.num_edges();
    if (!trainer.node_level()) {
      const gat::data::Batch batch = gat::data::graph_batch(dataset, dataset.features, graphs);
      nodes = batch.x.size(0);
      edges = batch.edge_index.size(1);
    }
    std::vector<double> times, data, compute, reduce, optimizer;
    for (int i = 0; i < warmup + steps; ++i) {
      comm.barrier();  // every rank starts the step together
      gat::train::StepTimes parts;
      const auto start = std::chrono::steady_clock::now();
      trainer.train_step(graphs, &parts);
      if (i < warmup) continue;
      times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      data.push_back(parts.data), compute.push_back(parts.compute), reduce.push_back(parts.reduce),
          optimizer.push_back(parts.optimizer);
    }
    const nlohmann::json result = {
        {"impl", config.model.attention},
        {"dataset", random ? "random" : config.data.path},
        {"nodes", nodes},  // of one step's batch, self loops not counted
        {"edges", edges},
        {"heads", config.model.heads},
        {"threads", used},
        {"ranks", comm.size()},
        {"steps", steps},
        {"median_step_s", median(times)},
        {"min_step_s", *std::min_element(times.begin(), times.end())},
        {"median_data_s", median(data)},
        {"median_compute_s", median(compute)},
        {"median_reduce_wait_s", median(reduce)},
        {"median_optimizer_s", median(optimizer)},
        {"peak_rss_mb", peak_rss_mb()},  // of rank 0
    };
    if (comm.rank() == 0) std::cout << result.dump() << std::endl;
  } catch (const gat::Error& e) {
    std::cerr << "gat_bench: error: " << e.what() << std::endl;
    if (comm_holder && comm_holder->size() > 1) comm_holder->abort(gat::kInputErrorExit);
    return gat::kInputErrorExit;
  } catch (const c10::Error& e) {
    std::cerr << "gat_bench: internal error: " << e.what_without_backtrace() << std::endl;
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "gat_bench: internal error: " << e.what() << std::endl;
    return 1;
  }
  return 0;
}
