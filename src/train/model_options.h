// The GAT that a config's model section describes: the one place config keys become model options.
#pragma once

#include <cstdint>

#include "config/config.h"
#include "model/gat.h"

namespace gat::train {

// The options of config.model's GAT for data with these input and output widths.
model::GATOptions gat_options_from_config(const config::ModelConfig& model, int64_t in_channels, int64_t out_channels);

}  // namespace gat::train
