// Test driver for multi-rank equivalence: trains a fixed number of steps on a graph-level dataset,
// or on the clusters of a partitioned one (data.clusters_per_batch), and has rank 0 save the
// parameters and the validation sums, for comparison across rank counts.
//   train_steps DATA.h5 STEPS OUT.pt [KEY=VALUE ...]
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "common/error.h"
#include "config/config.h"
#include "data/graph_dataset.h"
#include "dist/mpi_communicator.h"
#include "tools/run_setup.h"
#include "train/evaluation.h"
#include "train/trainer.h"

int main(int argc, char** argv) {
  if (argc < 4) {
    std::cerr << "usage: train_steps DATA.h5 STEPS OUT.pt [KEY=VALUE ...]\n";
    return 2;
  }
  auto host = gat::dist::make_communicator();
  try {
    std::vector<std::string> overrides(argv + 4, argv + argc);
    const auto config = gat::config::parse_config(
        std::string("data: {path: ") + argv[1] + "}\n" + "model: {input_dropout: 0, dropout: 0}\n", "train_steps",
        overrides);
    gat::tools::RunSetup setup(*host, config, /*threads=*/1);
    gat::dist::Communicator& comm = setup.comm();
    // A rank that hangs before its first collective, for the timeout test.
    if (const char* stall = std::getenv("GAT_TEST_STALL_RANK"); stall && std::atoi(stall) == comm.rank())
      std::this_thread::sleep_for(std::chrono::seconds(60));
    const auto dataset = gat::data::load_graph_dataset(config.data.path);
    gat::train::Trainer trainer(config, dataset, comm, setup.device());
    trainer.reset(config.train.seed);
    const std::vector<int64_t> graphs = trainer.epoch_units();
    const auto batch = static_cast<std::size_t>(trainer.units_per_step());
    // Walk the training graphs (or clusters) in file order, batch after batch, wrapping around at the end:
    // the last batch of a pass may be partial, and on several ranks some ranks then get none.
    std::size_t at = 0;
    int64_t epoch = 1;  // a pass over the graphs
    for (int step = 0; step < std::stoi(argv[2]); ++step) {
      const std::size_t end = std::min(graphs.size(), at + batch);
      trainer.train_step(std::vector<int64_t>(graphs.begin() + at, graphs.begin() + end), epoch);
      if (end == graphs.size())
        at = 0, ++epoch;
      else
        at = end;
    }
    const gat::train::EvalSums val = gat::train::evaluate_split(trainer.model(), trainer.batches(), dataset.val, comm);
    if (comm.rank() == 0) {
      std::vector<torch::Tensor> flat;
      for (const auto& p : trainer.model()->parameters()) flat.push_back(p.detach().reshape(-1).cpu());
      std::vector<torch::Tensor> out{torch::cat(flat),
                                     torch::tensor({val.metric(dataset.task), val.mean_loss()}, torch::kFloat64)};
      torch::save(out, argv[3]);
    }
  } catch (const std::exception& e) {
    std::cerr << "train_steps: rank " << host->rank() << ": " << e.what() << std::endl;
    if (host->size() > 1) host->abort(1);
    return 1;
  }
  return 0;
}
