// A fingerprint of a dataset's contents, so that a checkpoint can tell the data it was trained on.
#pragma once

#include <string>

#include "data/graph_dataset.h"

namespace gat::data {

// 16 hex digits: the checksum of the task, the class count and every tensor (dtype, shape and
// bytes), splits and their levels included. The file's path is not part of it: a moved or copied
// file keeps its fingerprint, and any changed value changes it. A streamed dataset, whose values
// stay in the file, is fingerprinted by what was read (offsets and splits) with the file's size
// and modification time instead: reading every value at each start would cost a pass over a file
// larger than memory. Its fingerprint is another than in memory, and copying the file changes it.
std::string content_fingerprint(const GraphDataset& dataset);

}  // namespace gat::data
