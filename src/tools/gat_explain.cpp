// gat_explain: writes a saved model's attention coefficients (every layer and head, per edge) on
// chosen graphs to HDF5, in the layout of train/explain.h, and prints one JSON line.
// `data_tools/gat_data.py attention FILE` plots their entropy against uniform attention.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <iostream>
#include <set>

#include "common/log.h"
#include "data/graph_ids.h"
#include "tools/run_setup.h"
#include "tools/saved_model_args.h"
#include "tools/tool_main.h"
#include "train/experiment.h"
#include "train/explain.h"

namespace {

// --graphs names each graph once: each becomes a group of the output file.
void refuse_repeated_graphs(const std::vector<int64_t>& graphs) {
  std::set<int64_t> seen;
  for (const int64_t g : graphs)
    if (!seen.insert(g).second)
      throw gat::Error("--graphs: graph " + std::to_string(g) + " is given twice; expected distinct graph ids");
}

// --graphs as given; else the split's graphs, or every graph where the splits hold nodes.
std::vector<int64_t> chosen_graphs(const gat::data::GraphDataset& dataset, const std::vector<int64_t>& graphs,
                                   const std::string& split_name) {
  if (!graphs.empty()) return graphs;
  const gat::data::Split& split = gat::data::split_named(dataset, split_name);
  if (split.level == gat::data::SplitLevel::kNode) {
    std::vector<int64_t> all(static_cast<std::size_t>(dataset.num_graphs()));
    for (std::size_t g = 0; g < all.size(); ++g) all[g] = static_cast<int64_t>(g);
    return all;
  }
  return gat::data::graph_ids(split);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Write a saved GAT's per-edge attention coefficients on chosen graphs to HDF5."};
  gat::tools::SavedModelArgs args;
  std::string out_path, split_name = "test";
  std::vector<int64_t> graphs;
  args.add_to(app);
  app.add_option("--out", out_path, "HDF5 file to write (default: attention.h5 beside the checkpoint)");
  auto* graphs_option = app.add_option("--graphs", graphs, "Graph ids in the dataset (default: the split's graphs)");
  app.add_option("--split", split_name, "Explain this split's graphs: train, val or test (default)")
      ->check(CLI::IsMember(gat::data::kSplitNames))
      ->excludes(graphs_option);
  return gat::tools::run_tool("gat_explain", app, argc, argv, [&](gat::dist::Communicator& host) {
    refuse_repeated_graphs(graphs);
    gat::log::init(host.rank(), "warn");
    const gat::config::Config config = args.load_config();
    gat::tools::RunSetup setup(host, config, args.threads);
    if (setup.comm().rank() != 0) return;  // one process writes the file; more ranks add nothing
    const gat::data::GraphDataset dataset = gat::train::load_dataset(config);
    gat::model::GAT model = args.load_model(config, dataset, setup.device());
    if (out_path.empty()) out_path = (std::filesystem::path(args.checkpoint).parent_path() / "attention.h5").string();
    const std::vector<int64_t> chosen = chosen_graphs(dataset, graphs, split_name);
    gat::data::BatchSource batches(dataset, gat::train::batch_source_options(config, setup.comm()), setup.device());
    gat::train::write_attention(out_path, model, batches, chosen, {args.checkpoint, config.data.path});
    std::cout << nlohmann::json{{"out", out_path}, {"graphs", chosen}, {"layers", model->layers->size()}}.dump()
              << std::endl;
  });
}
