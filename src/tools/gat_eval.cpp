// gat_eval: scores a saved model (a run's best.pt) on a split of a dataset and prints one JSON line.
// The model is rebuilt from the run's config.yaml (beside the checkpoint unless --config names
// another); --data scores it on any other file of the same features and classes. Under mpirun
// the split's graphs are shared out and the counts all-reduced, as in training.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <iostream>

#include "common/error.h"
#include "common/log.h"
#include "config/config.h"
#include "tools/tool_main.h"
#include "train/experiment.h"
#include "train/model_file.h"
#include "train/run_setup.h"
#include "train/trainer.h"

int main(int argc, char** argv) {
  CLI::App app{"Score a saved GAT on a split of a gat-graphs dataset."};
  std::string checkpoint, config_path, data_path, split_name = "test";
  std::vector<std::string> overrides;
  int threads = 0;
  app.add_option("--checkpoint", checkpoint, "A model saved by gat_train (RUN_DIR/best.pt)")->required();
  app.add_option("--config", config_path, "The run's config (default: config.yaml beside the checkpoint)");
  app.add_option("--data", data_path, "Score on this HDF5 file instead of the config's data.path");
  app.add_option("--split", split_name, "train, val or test")->check(CLI::IsMember({"train", "val", "test"}));
  app.add_option("--set", overrides, "Override a config key, as in gat_train");
  app.add_option("--threads", threads, "Compute threads (default: train.threads, else all cores)");
  return gat::tools::run_tool("gat_eval", app, argc, argv, [&](gat::dist::Communicator& host) {
    gat::log::init(host.rank(), "warn");
    if (config_path.empty()) config_path = (std::filesystem::path(checkpoint).parent_path() / "config.yaml").string();
    if (!data_path.empty()) overrides.push_back("data.path=" + data_path);
    const gat::config::Config config = gat::config::load_config(config_path, overrides);
    gat::train::RunSetup setup(host, config, threads);
    gat::dist::Communicator& comm = setup.comm();
    const gat::data::GraphDataset dataset = gat::train::load_dataset(config);
    gat::train::Trainer trainer(config, dataset, comm, setup.device());
    trainer.reset(config.train.seed);
    gat::train::load_model(trainer.model(), checkpoint);
    const gat::data::Split& split =
        split_name == "train" ? dataset.train : split_name == "val" ? dataset.val : dataset.test;
    const gat::train::EvalSums sums = trainer.evaluate_split(split);
    const nlohmann::json out = {
        {"checkpoint", checkpoint},
        {"data", config.data.path},
        {"split", split_name},
        {"metric", gat::train::metric_name(dataset.task)},
        {"value", sums.metric(dataset.task)},
        {"loss", sums.mean_loss()},
        {"nodes", static_cast<int64_t>(sums.nodes)},
    };
    if (comm.rank() == 0) std::cout << out.dump() << std::endl;
  });
}
