// The arguments gat_eval and gat_explain share: a model saved by gat_train and the config that
// rebuilds it (the run's config.yaml beside the checkpoint unless --config names another).
#pragma once

#include <CLI/CLI.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "common/regular_file.h"
#include "config/config.h"
#include "data/graph_dataset.h"
#include "model/gat.h"
#include "train/model_file.h"
#include "train/model_memory.h"
#include "train/options_from_config.h"

namespace gat::tools {

struct SavedModelArgs {
  std::string checkpoint, config_path, data_path;
  std::vector<std::string> overrides;
  int threads = 0;

  void add_to(CLI::App& app) {
    app.add_option("--checkpoint", checkpoint, "A model saved by gat_train (RUN_DIR/best.pt)")->required();
    app.add_option("--config", config_path, "The run's config (default: config.yaml beside the checkpoint)");
    app.add_option("--data", data_path, "Use this HDF5 file instead of the config's data.path");
    app.add_option("--set", overrides, "Override a config key, as in gat_train");
    app.add_option("--threads", threads, "Compute threads (default: train.threads, else all cores)");
  }

  config::Config load_config() const {
    // Before the config beside it is looked for, which a directory given here would misplace.
    if (auto error = special_file_error(checkpoint, "a model saved by gat_train (RUN_DIR/best.pt)")) throw *error;
    const std::string path =
        config_path.empty() ? (std::filesystem::path(checkpoint).parent_path() / "config.yaml").string() : config_path;
    std::vector<std::string> all = overrides;
    if (!data_path.empty()) all.push_back("data.path=" + data_path);
    return config::load_config(path, all);
  }

  // The model that `config` describes for `dataset`, on `device`, with the checkpoint's parameters.
  model::GAT load_model(const config::Config& config, const data::GraphDataset& dataset,
                        const torch::Device& device) const {
    train::check_model_fits_memory(config.model, dataset, train::ModelUse::kInference);
    model::GAT model(train::gat_options_from_config(config.model, config.train.precision, dataset.num_features(),
                                                    dataset.num_classes));
    model->to(device);
    train::load_model(*model, checkpoint, dataset);
    return model;
  }
};

}  // namespace gat::tools
