// gat_train: trains a GAT from a YAML config and prints results.json's content as the last line.
#include <CLI/CLI.hpp>

#include <iostream>

#include "common/error.h"
#include "common/log.h"
#include "common/threads.h"
#include "config/config.h"
#include "data/graph_dataset.h"
#include "dist/communicator.h"
#include "train/experiment.h"

int main(int argc, char** argv) {
  CLI::App app{"Train a Graph Attention Network from a YAML config."};
  std::string config_path, log_level = "info";
  std::vector<std::string> overrides;
  app.add_option("--config", config_path, "YAML experiment file (configs/*.yaml)")->required();
  app.add_option("--set", overrides, "Override a key, e.g. --set train.lr=0.01 --set model.heads=[8,1]");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : gat::kInputErrorExit;
  }

  gat::dist::LocalCommunicator comm;
  try {
    gat::log::init(comm.rank(), log_level);
    const gat::config::Config config = gat::config::load_config(config_path, overrides);
    const int threads = gat::set_compute_threads(static_cast<int>(config.train.threads));
    const gat::data::GraphDataset dataset = gat::data::load_graph_dataset(config.data.path);
    gat::log::info("{}: {} graphs, {} nodes, {} edges, {} features, {} classes ({}); {} threads", config.data.path,
                   dataset.num_graphs(), dataset.num_nodes(), dataset.num_edges(), dataset.num_features(),
                   dataset.num_classes, gat::data::to_string(dataset.task), threads);
    const nlohmann::json results = gat::train::run_experiment(config, dataset, comm);
    std::cout << results.dump() << std::endl;
  } catch (const gat::Error& e) {
    std::cerr << "gat_train: error: " << e.what() << std::endl;
    return gat::kInputErrorExit;
  } catch (const c10::Error& e) {
    std::cerr << "gat_train: internal error: " << e.what_without_backtrace() << std::endl;
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "gat_train: internal error: " << e.what() << std::endl;
    return 1;
  }
  return 0;
}
