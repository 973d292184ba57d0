// gat_bench: times training steps (forward, backward, all-reduce, Adam) of a config's model and
// prints one JSON line per measurement (rank 0). Speed is measured here, never asserted in tests.
// The batch is the config's data (or --data), or G random graphs of N nodes (--graphs); --scale
// repeats the random batch at 1, 2, 4 and 8 times the nodes per graph, so cost against size can
// be read off. Under mpirun the step's global batch is split across ranks as in training. On a GPU
// (train.device) steps are timed with CUDA events and the peak GPU memory is reported.
#include <nlohmann/json.hpp>
#include <sys/resource.h>

#include <algorithm>
#include <iostream>
#include <memory>

#include "common/error.h"
#include "common/log.h"
#include "common/memory.h"
#include "common/device.h"
#include "common/op_trace.h"
#include "config/config.h"
#include "data/graph_dataset.h"
#include "data/random_graphs.h"
#include "tools/tool_main.h"
#include "train/experiment.h"
#include "train/run_setup.h"
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

struct Timing {
  int steps = 50;
  int warmup = 5;
  std::string trace;  // where the timed steps' op and kernel timeline goes, if anywhere
};

// Times `timing.steps` training steps on one batch after `timing.warmup` untimed ones. Graph-level
// data: the batch is the first train.batch_graphs training graphs (random graphs: all of them).
nlohmann::json time_steps(const gat::config::Config& config, const gat::data::GraphDataset& dataset,
                          gat::dist::Communicator& comm, const torch::Device& device, const Timing& timing,
                          bool all_graphs) {
  gat::train::Trainer trainer(config, dataset, comm, device);
  trainer.reset(config.train.seed);
  std::vector<int64_t> graphs = gat::train::graph_ids(dataset.train);
  if (!all_graphs) graphs.resize(std::min<std::size_t>(graphs.size(), config.train.batch_graphs));
  int64_t nodes = dataset.num_nodes(), edges = dataset.num_edges();
  if (!trainer.node_level()) {
    nodes = trainer.nodes_in(graphs);
    edges = trainer.edges_in(graphs);
  }
  std::vector<double> times, data, forward, backward, reduce, optimizer;
  gat::DeviceTimer timer(device);  // CUDA events on a GPU: the step's device time, not the host's
  std::unique_ptr<gat::OpTrace> trace;
  for (int i = 0; i < timing.warmup + timing.steps; ++i) {
    if (i == timing.warmup) {
      gat::reset_peak_memory(device);
      if (!timing.trace.empty()) trace = std::make_unique<gat::OpTrace>(device.is_cuda());
    }
    gat::synchronize(device);
    comm.barrier();  // every rank starts the step together
    gat::train::StepTimes parts;
    timer.start();
    {
      RECORD_USER_SCOPE("gat_bench_step");  // marks the step in a --trace
      trainer.train_step(graphs, &parts);
    }
    timer.stop();
    const double seconds = timer.seconds();
    if (i < timing.warmup) continue;
    times.push_back(seconds);
    data.push_back(parts.data), forward.push_back(parts.forward), backward.push_back(parts.backward),
        reduce.push_back(parts.reduce), optimizer.push_back(parts.optimizer);
  }
  if (trace) {
    gat::synchronize(device);
    trace->save(timing.trace);
  }
  nlohmann::json gpu_mb = nullptr;
  if (device.is_cuda()) gpu_mb = gat::peak_memory_bytes(device) / double(1 << 20);
  return {
      {"impl", config.model.attention},
      {"nodes", nodes},  // of one step's batch, self loops not counted
      {"edges", edges},
      {"heads", config.model.heads},
      {"device", device.str()},
      {"threads", at::get_num_threads()},
      {"ranks", comm.size()},
      {"steps", timing.steps},
      {"median_step_s", median(times)},
      {"min_step_s", *std::min_element(times.begin(), times.end())},
      {"median_data_s", median(data)},
      {"median_forward_s", median(forward)},
      {"median_backward_s", median(backward)},
      {"median_reduce_wait_s", median(reduce)},
      {"median_optimizer_s", median(optimizer)},
      {"peak_rss_mb", peak_rss_mb()},  // of rank 0, over the whole process so far
      {"peak_gpu_mb", gpu_mb},         // allocated by LibTorch on rank 0's GPU over the timed steps
  };
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Time GAT training steps on a config's dataset."};
  std::string config_path;
  std::vector<std::string> overrides;
  std::string data_path;
  int threads = 0;
  bool scale = false;
  Timing timing;
  app.add_option("--config", config_path, "YAML experiment file")->required();
  app.add_option("--set", overrides, "Override a config key, as in gat_train");
  auto* data_flag = app.add_option("--data", data_path, "Time on this HDF5 dataset instead of data.path");
  app.add_option("--threads", threads, "Compute threads (default: train.threads, else all cores)");
  app.add_option("--steps", timing.steps, "Timed steps")->check(CLI::PositiveNumber);
  app.add_option("--warmup", timing.warmup, "Untimed steps first")->check(CLI::NonNegativeNumber);
  auto* trace_flag = app.add_option("--trace", timing.trace,
                                    "Write the timed steps' LibTorch ops and GPU kernels to this file as a Chrome "
                                    "trace (bench/trace_summary.py sums it up); timings include the profiler's cost");
  gat::data::RandomGraphsOptions shape;
  auto* graphs_flag = app.add_option("--graphs", shape.graphs,
                                     "Time a batch of this many random graphs instead of the config's data")
                          ->check(CLI::PositiveNumber)
                          ->excludes(data_flag);
  app.add_option("--nodes", shape.nodes, "Nodes per random graph")->needs(graphs_flag)->check(CLI::PositiveNumber);
  app.add_option("--degree", shape.degree, "Directed edges drawn per node (both directions are kept)")
      ->needs(graphs_flag)
      ->check(CLI::PositiveNumber);
  app.add_option("--features", shape.features, "Features per node of the random graphs")->needs(graphs_flag);
  app.add_option("--classes", shape.classes, "Labels (multilabel) of the random graphs")->needs(graphs_flag);
  app.add_flag("--scale", scale, "Repeat at 1, 2, 4 and 8 times --nodes, one JSON line each")
      ->needs(graphs_flag)
      ->excludes(trace_flag);
  return gat::tools::run_tool("gat_bench", app, argc, argv, [&](gat::dist::Communicator& host) {
    gat::keep_freed_memory();
    gat::log::init(host.rank(), "warn");
    if (data_flag->count()) overrides.push_back("data.path=" + data_path);
    const gat::config::Config config = gat::config::load_config(config_path, overrides);
    gat::train::RunSetup setup(host, config, threads);
    gat::dist::Communicator& comm = setup.comm();
    const bool random = graphs_flag->count() > 0;
    for (int64_t factor : scale ? std::vector<int64_t>{1, 2, 4, 8} : std::vector<int64_t>{1}) {
      gat::data::RandomGraphsOptions scaled = shape;
      scaled.nodes = shape.nodes * factor;
      const gat::data::GraphDataset dataset =
          random ? gat::data::random_graphs(scaled) : gat::train::load_dataset(config);
      nlohmann::json result = time_steps(config, dataset, comm, setup.device(), timing, random);
      result["dataset"] = random ? "random" : config.data.path;
      result["cpu_kernels"] = setup.cpu_kernels();  // the fused attention's, on the CPU
      if (scale) result["scale"] = factor;
      if (comm.rank() == 0) std::cout << result.dump() << std::endl;
    }
  });
}
