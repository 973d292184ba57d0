// gat_eval: scores a saved model (a run's best.pt) on a split of a dataset and prints one JSON line.
// The model is rebuilt from the run's config.yaml (beside the checkpoint unless --config names
// another); --data scores it on any other file of the same features and classes. Under mpirun
// the split's graphs are shared out and the counts all-reduced, as in training.
#include <nlohmann/json.hpp>

#include <iostream>

#include "common/error.h"
#include "common/log.h"
#include "data/graph_ids.h"
#include "tools/run_setup.h"
#include "tools/saved_model_args.h"
#include "tools/tool_main.h"
#include "train/evaluation.h"
#include "train/experiment.h"

int main(int argc, char** argv) {
  CLI::App app{"Score a saved GAT on a split of a gat-graphs dataset."};
  gat::tools::SavedModelArgs args;
  std::string split_name = "test";
  args.add_to(app);
  app.add_option("--split", split_name, "train, val or test")->check(CLI::IsMember(gat::data::kSplitNames));
  return gat::tools::run_tool("gat_eval", app, argc, argv, [&](gat::dist::Communicator& host) {
    gat::log::init(host.rank(), "warn");
    const gat::config::Config config = args.load_config();
    gat::tools::RunSetup setup(host, config, args.threads);
    gat::dist::Communicator& comm = setup.comm();
    const gat::data::GraphDataset dataset = gat::train::load_dataset(config);
    const gat::data::Split& split = gat::data::split_named(dataset, split_name);
    if (gat::data::split_nodes(dataset, split) == 0)
      throw gat::Error(dataset.path + ": /splits/" + split_name + ": expected nodes to score, got an empty split");
    gat::model::GAT model = args.load_model(config, dataset, setup.device());
    gat::data::BatchSource batches(dataset, gat::train::batch_source_options(config, comm), setup.device());
    const gat::train::EvalSums sums = gat::train::evaluate_split(model, batches, split, comm);
    const nlohmann::json out = {
        {"checkpoint", args.checkpoint},
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
