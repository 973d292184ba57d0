// gat_bench: times training steps (forward, backward, all-reduce, Adam) of a config's model and
// prints one JSON line per measurement (rank 0). Speed is measured here, never asserted in tests.
// The batch is the config's data (or --data), or G random graphs of N nodes (--graphs); --scale
// repeats the random batch at 1, 2, 4 and 8 times the nodes per graph, so cost against size can
// be read off; its timed steps take the four batches in turn. Under mpirun the step's global batch
// is split across ranks as in training. On a GPU (train.device) steps are timed with CUDA events
// and the peak GPU memory is reported. --reference-matmul times bench/floors.py's product before each
// timed step, so that a step and the rate its floor is reckoned at are measured in the same seconds.
#include <sys/resource.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <iostream>
#include <memory>
#include <numeric>
#include <random>
#include <utility>

#include "common/device.h"
#include "common/error.h"
#include "common/log.h"
#include "common/memory.h"
#include "common/op_trace.h"
#include "config/choice_names.h"
#include "config/config.h"
#include "data/graph_dataset.h"
#include "data/graph_ids.h"
#include "data/graph_shares.h"
#include "data/random_graphs.h"
#include "ops/weight_product.h"
#include "tools/run_setup.h"
#include "tools/tool_main.h"
#include "train/experiment.h"
#include "train/model_memory.h"
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
  std::string trace;             // where the timed steps' op and kernel timeline goes, if anywhere
  bool trace_shapes = false;     // the trace records each op's input shapes
  int64_t reference_matmul = 0;  // the side of the product timed before each timed step; 0: none
};

// The rate of bench/floors.py's float32 product of two n x n matrices, from the best of kTries
// (floors.py takes the best of 10, once per run; here it is taken right before each step). A shared
// machine's slow minutes slow every part of a step alike, forward, backward, Adam and reading the
// batch (docs/performance.md, "The floor in the step's own seconds"); a floor measured seconds
// before the steps, from its fastest product, does not see them.
class ReferenceProduct {
 public:
  ReferenceProduct(int64_t n, const torch::Device& device)
      : n_(n), a_(torch::randn({n, n}, torch::TensorOptions(device))), b_(torch::randn_like(a_)), timer_(device) {
    gat::ops::product(a_, b_);  // first-touch page faults and thread start-up are not the rate
  }

  // FLOP/s, measured now.
  double rate() {
    constexpr int kTries = 3;
    double best = 0;
    for (int i = 0; i < kTries; ++i) {
      timer_.start();
      gat::ops::product(a_, b_);  // the products' own kind: oneDNN's sgemm on the CPU where built with it
      timer_.stop();
      const double seconds = timer_.seconds();
      best = i == 0 ? seconds : std::min(best, seconds);
    }
    return 2.0 * n_ * n_ * n_ / best;
  }

  int64_t size() const { return n_; }

 private:
  int64_t n_;
  torch::Tensor a_, b_;
  gat::DeviceTimer timer_;
};

// Training steps on one batch: its dataset, its trainer, and the times of its timed steps.
class BatchBench {
 public:
  // Graph-level data: the batch is the first train.batch_graphs training graphs (random graphs:
  // all of them). With `walk`, each step takes the next train.batch_graphs graphs of the training
  // graphs shuffled by train.seed, as an epoch does (wrapping around), and a streamed dataset reads
  // the next step's graphs while a step computes: what reading the data costs is then timed too.
  BatchBench(const gat::config::Config& config, gat::data::GraphDataset dataset, gat::dist::Communicator& comm,
             const torch::Device& device, bool all_graphs, bool walk, ReferenceProduct* reference)
      : config_(config),
        comm_(comm),
        device_(device),
        dataset_(std::move(dataset)),
        trainer_(config, dataset_, comm, device),  // refers to dataset_, declared before it
        timer_(device),
        reference_(reference) {
    trainer_.reset(config.train.seed);
    graphs_ = gat::data::graph_ids(dataset_.train);
    if (walk && !trainer_.batches().node_level()) {
      order_ = graphs_;
      std::mt19937_64 rng(static_cast<uint64_t>(config.train.seed));
      std::shuffle(order_.begin(), order_.end(), rng);
      graphs_ = batch_at(0);
    }
    if (!all_graphs) graphs_.resize(std::min<std::size_t>(graphs_.size(), config.train.batch_graphs));
    nodes_ = dataset_.num_nodes(), edges_ = dataset_.num_edges();
    if (!trainer_.batches().node_level()) {
      nodes_ = gat::data::nodes_in(dataset_, graphs_);
      edges_ = gat::data::edges_in(dataset_, graphs_);
    }
  }

  // One training step; a timed one is recorded. On a GPU the time is the device's (CUDA events).
  void step(bool timed) {
    if (!order_.empty()) {
      graphs_ = batch_at(walked_++);
      trainer_.batches().prefetch(batch_at(walked_));
      walked_nodes_ += gat::data::nodes_in(dataset_, graphs_);
      walked_edges_ += gat::data::edges_in(dataset_, graphs_);
    }
    const double rate = timed && reference_ ? reference_->rate() : 0;
    gat::synchronize(device_);
    comm_.barrier();  // every rank starts the step together
    gat::train::StepTimes parts;
    timer_.start();
    {
      RECORD_USER_SCOPE("gat_bench_step");                // marks the step in a --trace
      trainer_.train_step(graphs_, /*epoch=*/1, &parts);  // the same masks each step cost the same
    }
    timer_.stop();
    const double seconds = timer_.seconds();
    if (!timed) return;
    times_.push_back(seconds);
    if (reference_) reference_rate_.push_back(rate), step_work_at_rate_.push_back(seconds * rate);
    data_.push_back(parts.data), forward_.push_back(parts.forward), backward_.push_back(parts.backward),
        reduce_.push_back(parts.reduce), optimizer_.push_back(parts.optimizer);
    compute_.push_back(parts.data + parts.forward + parts.backward);
    if (dataset_.train.level == gat::data::SplitLevel::kGraph) {
      const auto work = gat::data::share_work(
          dataset_, gat::data::divide_graphs(dataset_, graphs_, comm_.size(), config_.dist.shares));
      work_imbalance_.push_back(gat::data::imbalance(std::vector<double>(work.begin(), work.end())));
    }
  }

  // The process's peak memory now: read after this batch's first steps, before any larger batch ran.
  void read_peak_memory() {
    peak_rss_mb_ = peak_rss_mb();
    if (device_.is_cuda()) peak_gpu_mb_ = gat::peak_memory_bytes(device_) / double(1 << 20);
  }

  // Walking: the batch of step `index`, train.batch_graphs graphs of order_ from index times that.
  std::vector<int64_t> batch_at(int64_t index) const {
    const int64_t n = static_cast<int64_t>(order_.size()), b = std::min<int64_t>(config_.train.batch_graphs, n);
    std::vector<int64_t> batch;
    for (int64_t i = 0; i < b; ++i) batch.push_back(order_[(index * b + i) % n]);
    return batch;
  }

  // Every rank's row `mine` (all of one length), as a [ranks, length] table (a collective).
  torch::Tensor per_rank(const std::vector<double>& mine) const {
    torch::Tensor all = torch::zeros({comm_.size(), static_cast<int64_t>(mine.size())}, torch::kFloat64);
    all[comm_.rank()] = torch::tensor(mine, torch::kFloat64);
    comm_.all_reduce(all, gat::dist::ReduceOp::kSum);
    return all;
  }
  std::vector<double> per_rank(double mine) const {
    const torch::Tensor all = per_rank(std::vector<double>{mine}).contiguous();
    return std::vector<double>(all.data_ptr<double>(), all.data_ptr<double>() + all.numel());
  }

  // How evenly the steps' work fell on the ranks, as max / mean over the ranks of each timed step,
  // averaged over the steps: of the graph work (nodes + edges of each share, data/graph_shares.h)
  // and of the compute time (batch, forward and backward, before a rank waits for the others);
  // with each rank's median compute time. Called on every rank.
  nlohmann::json balance() const {
    const torch::Tensor compute = per_rank(compute_);  // [ranks, steps]
    const torch::Tensor step_imbalance = std::get<0>(compute.max(0)) / compute.mean(0);
    nlohmann::json j = {{"shares", gat::config::name_of(config_.dist.shares)},
                        {"rank_compute_s", per_rank(median(compute_))},
                        {"compute_imbalance", step_imbalance.mean().item<double>()}};
    if (!work_imbalance_.empty())
      j["work_imbalance"] =
          std::accumulate(work_imbalance_.begin(), work_imbalance_.end(), 0.0) / work_imbalance_.size();
    return j;
  }

  nlohmann::json result() const {
    nlohmann::json j = balance();
    j["rank_peak_rss_mb"] = per_rank(peak_rss_mb());  // each rank's, over the whole run so far
    if (!order_.empty()) {
      j["walked_steps"] = walked_;
      j["walked_graphs_per_step"] = graphs_.size();
    }
    j.update({
        {"impl", gat::config::name_of(config_.model.attention)},
        {"precision", gat::config::name_of(config_.train.precision)},
        // of one step's batch, self loops not counted (walking: the mean over the steps)
        {"nodes", order_.empty() ? double(nodes_) : double(walked_nodes_) / std::max<int64_t>(walked_, 1)},
        {"edges", order_.empty() ? double(edges_) : double(walked_edges_) / std::max<int64_t>(walked_, 1)},
        {"data_load", gat::config::name_of(dataset_.streamed ? gat::LoadMode::kStream : gat::LoadMode::kMemory)},
        {"heads", config_.model.heads},
        {"device", device_.str()},
        {"threads", at::get_num_threads()},
        {"ranks", comm_.size()},
        {"steps", times_.size()},
        {"median_step_s", median(times_)},
        {"min_step_s", *std::min_element(times_.begin(), times_.end())},
        {"median_data_s", median(data_)},
        {"median_forward_s", median(forward_)},
        {"median_backward_s", median(backward_)},
        {"median_reduce_wait_s", median(reduce_)},
        {"median_optimizer_s", median(optimizer_)},
        {"peak_rss_mb", peak_rss_mb_},  // of rank 0, over the process up to this batch's first timed step
        {"peak_gpu_mb", peak_gpu_mb_},  // allocated by LibTorch on rank 0's GPU in that step
    });
    if (reference_) {
      // A step's time times the rate measured right before it is the work the reference product does
      // in that time: over floors.py's gflop (dense + attention) it is that step over its floor.
      j["reference_matmul"] = reference_->size();
      j["median_reference_gflops"] = median(reference_rate_) / 1e9;
      j["median_step_gflop_at_reference"] = median(step_work_at_rate_) / 1e9;
    }
    return j;
  }

 private:
  const gat::config::Config& config_;
  gat::dist::Communicator& comm_;
  torch::Device device_;
  gat::data::GraphDataset dataset_;
  gat::train::Trainer trainer_;
  gat::DeviceTimer timer_;
  ReferenceProduct* reference_;  // this rank's reference product, or none
  std::vector<int64_t> graphs_;
  int64_t nodes_ = 0, edges_ = 0;
  std::vector<int64_t> order_;  // walking: the shuffled training graphs
  int64_t walked_ = 0, walked_nodes_ = 0, walked_edges_ = 0;
  std::vector<double> times_, data_, forward_, backward_, reduce_, optimizer_, compute_, work_imbalance_;
  std::vector<double> reference_rate_, step_work_at_rate_;  // FLOP/s before each timed step, and step x rate
  double peak_rss_mb_ = 0;
  nlohmann::json peak_gpu_mb_ = nullptr;
};

// The batches of one run. Each is made just before its warm-up and first timed step, which it runs
// alone, so that the peak memory read after them is its own (batches grow, and no larger one exists
// yet). The remaining timed steps take the batches in turns of a few steps each: a shared machine's
// drift over minutes then falls on every batch alike, so the ratios of their times hold still
// (docs/performance.md: timed one batch after the other, 8x / 1x read 7.45 to 10.21 in six runs).
// A turn starts with an untimed step, because a step that follows another batch's is slower: a 1x
// step after an 8x one took 1-3 % longer than after a 1x one (29 pairs).
class BatchRun {
 public:
  BatchRun(const torch::Device& device, const Timing& timing) : device_(device), timing_(timing) {}

  void add(std::unique_ptr<BatchBench> bench) {
    for (int i = 0; i < timing_.warmup; ++i) bench->step(false);
    gat::reset_peak_memory(device_);
    // --trace excludes --scale: a trace records the timed steps of a run's only batch.
    if (!timing_.trace.empty()) trace_ = std::make_unique<gat::OpTrace>(device_.is_cuda(), timing_.trace_shapes);
    bench->step(true);
    bench->read_peak_memory();
    benches_.push_back(std::move(bench));
  }

  // The remaining timed steps, batches in turn; then the batches' results in the order added.
  std::vector<nlohmann::json> finish() {
    constexpr int kTimedPerTurn = 4;
    for (int done = 1; done < timing_.steps; done += kTimedPerTurn)
      for (auto& bench : benches_) {
        if (benches_.size() > 1) bench->step(false);
        for (int i = done; i < std::min(done + kTimedPerTurn, timing_.steps); ++i) bench->step(true);
      }
    if (trace_) {
      gat::synchronize(device_);
      trace_->save(timing_.trace);
    }
    std::vector<nlohmann::json> results;
    for (const auto& bench : benches_) results.push_back(bench->result());
    return results;
  }

 private:
  torch::Device device_;
  Timing timing_;
  std::vector<std::unique_ptr<BatchBench>> benches_;
  std::unique_ptr<gat::OpTrace> trace_;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Time GAT training steps on a config's dataset."};
  std::string config_path;
  std::vector<std::string> overrides;
  std::string data_path;
  int threads = 0;
  bool scale = false;
  bool walk = false;
  Timing timing;
  app.add_option("--config", config_path, "YAML experiment file")->required();
  app.add_option("--set", overrides, "Override a config key, as in gat_train");
  auto* data_flag = app.add_option("--data", data_path, "Time on this HDF5 dataset instead of data.path");
  app.add_option("--threads", threads, "Compute threads (default: train.threads, else all cores)");
  app.add_option("--steps", timing.steps, "Timed steps")->check(gat::tools::at_least(1));
  app.add_option("--warmup", timing.warmup, "Untimed steps first")->check(gat::tools::at_least(0));
  auto* reference_flag = app.add_option("--reference-matmul", timing.reference_matmul,
                                        "Before each timed step, time bench/floors.py's float32 product of two "
                                        "matrices of this side (2048 as floors.py on a CPU), best of 3, so that "
                                        "step and floor are measured in the same seconds")
                             ->check(gat::tools::at_least(1));
  auto* trace_flag = app.add_option("--trace", timing.trace,
                                    "Write the timed steps' LibTorch ops and GPU kernels to this file as a Chrome "
                                    "trace (bench/trace_summary.py sums it up); timings include the profiler's cost");
  app.add_flag("--trace-shapes", timing.trace_shapes,
               "The trace also records each op's input shapes, which name the product behind each GEMM kernel "
               "(bench/trace_summary.py --by-op); the host's time grows by their cost")
      ->needs(trace_flag);
  gat::data::RandomGraphsOptions shape;
  auto* graphs_flag =
      app.add_option("--graphs", shape.graphs, "Time a batch of this many random graphs instead of the config's data")
          ->check(gat::tools::at_least(1))
          ->excludes(data_flag);
  app.add_option("--nodes", shape.nodes, "Nodes per random graph")->needs(graphs_flag)->check(gat::tools::at_least(1));
  app.add_option("--degree", shape.degree, "Directed edges drawn per node (both directions are kept)")
      ->needs(graphs_flag)
      ->check(gat::tools::at_least(1));
  app.add_option("--features", shape.features, "Features per node of the random graphs")->needs(graphs_flag);
  app.add_option("--classes", shape.classes, "Labels (multilabel) of the random graphs")->needs(graphs_flag);
  app.add_flag("--walk", walk,
               "Graph-level data: each step takes the next train.batch_graphs graphs of the shuffled training "
               "graphs, as an epoch does, so that reading them (data.load: stream) is timed too")
      ->excludes(graphs_flag);
  app.add_flag("--scale", scale, "Repeat at 1, 2, 4 and 8 times --nodes, one JSON line each")
      ->needs(graphs_flag)
      ->excludes(trace_flag);
  reference_flag->excludes(trace_flag);
  return gat::tools::run_tool("gat_bench", app, argc, argv, [&](gat::dist::Communicator& host) {
    gat::log::init(host.rank(), "warn");
    gat::keep_freed_memory();
    if (data_flag->count()) overrides.push_back("data.path=" + data_path);
    const gat::config::Config config = gat::config::load_config(config_path, overrides);
    gat::tools::RunSetup setup(host, config, threads);
    gat::dist::Communicator& comm = setup.comm();
    const bool random = graphs_flag->count() > 0;
    const std::vector<int64_t> factors = scale ? std::vector<int64_t>{1, 2, 4, 8} : std::vector<int64_t>{1};
    BatchRun run(setup.device(), timing);
    std::unique_ptr<ReferenceProduct> reference;
    if (timing.reference_matmul > 0)
      reference = std::make_unique<ReferenceProduct>(timing.reference_matmul, setup.device());
    for (int64_t factor : factors) {
      gat::data::RandomGraphsOptions scaled = shape;
      scaled.nodes = shape.nodes * factor;
      gat::data::GraphDataset dataset = random ? gat::data::random_graphs(scaled) : gat::train::load_dataset(config);
      gat::train::check_model_fits_memory(config.model, dataset, gat::train::ModelUse::kTraining);
      run.add(std::make_unique<BatchBench>(config, std::move(dataset), comm, setup.device(), random, walk,
                                           reference.get()));
    }
    const std::vector<nlohmann::json> results = run.finish();
    for (std::size_t s = 0; s < factors.size(); ++s) {
      nlohmann::json result = results[s];
      result["dataset"] = random ? "random" : config.data.path;
      result["cpu_kernels"] = setup.cpu_kernels();  // the fused attention's, on the CPU
      if (scale) result["scale"] = factors[s];
      if (comm.rank() == 0) std::cout << result.dump() << std::endl;
    }
  });
}
