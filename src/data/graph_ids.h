// Graph ids of a dataset: a split's, and how many nodes and edges a list of them holds.
#pragma once

#include <cstdint>
#include <vector>

#include "data/graph_dataset.h"

namespace gat::data {

// Graph ids of a graph-level split, as a vector.
std::vector<int64_t> graph_ids(const Split& split);

// Graph g's nodes.
int64_t nodes_of(const GraphDataset& dataset, int64_t g);

// Over all of these graphs: their nodes, and their stored edges.
int64_t nodes_in(const GraphDataset& dataset, const std::vector<int64_t>& graphs);
int64_t edges_in(const GraphDataset& dataset, const std::vector<int64_t>& graphs);

// The nodes a split scores: its node ids, or all nodes of its graphs.
int64_t split_nodes(const GraphDataset& dataset, const Split& split);

}  // namespace gat::data
