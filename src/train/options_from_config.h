// The one place config keys become the options of the layers below: the GAT that the model section
// describes, and the batches that the data section and the ranks make.
#pragma once

#include <cstdint>

#include "config/config.h"
#include "data/batch_source.h"
#include "dist/communicator.h"
#include "model/gat.h"

namespace gat::train {

// The options of config.model's GAT, its products at train.precision, for data with these input and
// output widths.
model::GATOptions gat_options_from_config(const config::ModelConfig& model, Precision precision, int64_t in_channels,
                                          int64_t out_channels);

// The batches of `config` on the ranks of `comm`, which share each graph-level step.
data::BatchSourceOptions batch_source_options(const config::Config& config, const dist::Communicator& comm);

}  // namespace gat::train
