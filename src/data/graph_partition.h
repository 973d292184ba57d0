// Rules 10 to 12 of docs/data_format.md: a version-2 file's partition read and checked, each
// breach one line naming the dataset, in the words of the format's table of bad partitions.
// Internal to src/data (graph_dataset.cpp calls it).
#pragma once

#include "data/graph_checks.h"
#include "data/graph_dataset.h"
#include "data/h5_file.h"

namespace gat::data {

// The /partition group of `d`'s file, whose other datasets `d` holds already (read whole).
Partition read_partition(const H5File& file, const Checker& check, const GraphDataset& d);

}  // namespace gat::data
