// What ranks and checkpoints compare of a dataset before they trust it: its sizes, task and splits.
#pragma once

#include <string>

#include "data/graph_dataset.h"

namespace gat::data {

// One line per property of the dataset that ranks must agree on (sizes, task, splits).
std::string describe_shape(const GraphDataset& dataset);

}  // namespace gat::data
