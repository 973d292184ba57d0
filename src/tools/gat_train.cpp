// gat_train: trains a GAT from a YAML config and prints results.json's content as the last line.
// Under mpirun every rank runs it; rank 0 writes the run directory and prints the results.
#include <iostream>

#include "common/error.h"
#include "common/log.h"
#include "common/memory.h"
#include "config/config.h"
#include "data/dataset_shape.h"
#include "data/graph_dataset.h"
#include "dist/consistency.h"
#include "tools/run_setup.h"
#include "tools/tool_main.h"
#include "train/experiment.h"
#include "train/model_memory.h"

int main(int argc, char** argv) {
  CLI::App app{"Train a Graph Attention Network from a YAML config."};
  std::string config_path, log_level = "info";
  std::vector<std::string> overrides;
  app.add_option("--config", config_path, "YAML experiment file (configs/*.yaml)")->required();
  app.add_option("--set", overrides, "Override a key, e.g. --set train.lr=0.01 --set model.heads=[8,1]");
  bool resume = false;
  app.add_flag("--resume", resume, "Continue from the run directory's newest checkpoint (train.resume: required)");
  gat::tools::add_rank_log_level(app, log_level);
  return gat::tools::run_tool("gat_train", app, argc, argv, [&](gat::dist::Communicator& host) {
    gat::tools::start_rank_logging(host, log_level);
    gat::keep_freed_memory();
    if (resume) overrides.push_back("train.resume=required");
    const gat::config::Config config = gat::config::load_config(config_path, overrides);
    gat::tools::RunSetup setup(host, config);
    gat::dist::Communicator& comm = setup.comm();
    const gat::data::GraphDataset dataset = gat::train::load_dataset(config);
    gat::train::check_model_fits_memory(config.model, dataset, gat::train::ModelUse::kTraining);
    gat::dist::check_same_on_all_ranks(comm, "config and data",
                                       gat::config::to_yaml(config) + gat::data::describe_shape(dataset));
    gat::log::info(
        "{}: {} graphs, {} nodes, {} edges, {} features, {} classes ({}); {} ranks x {} threads ({} kernels) on {}",
        config.data.path, dataset.num_graphs(), dataset.num_nodes(), dataset.num_edges(), dataset.num_features(),
        dataset.num_classes, gat::data::to_string(dataset.task), comm.size(), setup.threads(), setup.cpu_kernels(),
        setup.device().str());
    const nlohmann::json results = gat::train::run_experiment(config, dataset, comm, setup.device());
    if (comm.rank() == 0) std::cout << results.dump() << std::endl;
  });
}
