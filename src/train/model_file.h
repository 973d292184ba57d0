// Reading a saved model (best.pt) back into a GAT built from a config, with its shapes checked.
#pragma once

#include <string>

#include "model/gat.h"

namespace gat::train {

// Copies the parameters saved by torch::save(model, path) into `model`, parameter by parameter.
// Throws gat::Error naming the file and the parameter when the file is missing or unreadable, or
// when a parameter is absent or has another shape than the one `model` (built from a config and
// a dataset) expects. LibTorch's own torch::load would take the saved shapes silently.
void load_model(model::GAT& model, const std::string& path);

}  // namespace gat::train
