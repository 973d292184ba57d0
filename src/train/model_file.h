// A saved model (best.pt): written with a checksum and its task, read back into a model built from
// a config, with every parameter, its shape and the task checked.
#pragma once

#include <torch/torch.h>

#include <string>

#include "data/graph_dataset.h"

namespace gat::train {

// Writes `model`'s parameters as torch::save does, with the task it was trained for as one more
// key (torch::load into a model::GAT ignores it), sealed with a checksum (common/sealed_zip.h).
// `model` must be on the CPU, so that any machine can read the file.
void save_model(torch::nn::Module& model, data::Task task, const std::string& path);

// Copies the parameters that save_model wrote to `path` into `model` (a model::GAT built from a
// config and `dataset`), parameter by parameter. Throws gat::Error of one line naming the file
// when it is missing, cut short, fails its checksum or is unreadable; when it was saved for
// another task than `dataset`'s; and naming the parameter when one is absent, has another shape
// or dtype than `model` expects, or is saved but `model` has none such. LibTorch's own torch::load would
// take the saved shapes silently and ignore parameters the model lacks.
void load_model(torch::nn::Module& model, const std::string& path, const data::GraphDataset& dataset);

}  // namespace gat::train
