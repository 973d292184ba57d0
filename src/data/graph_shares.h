// Which rank computes which graphs of a step: shares balanced by size, or contiguous blocks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/choices.h"
#include "data/graph_dataset.h"

namespace gat::data {

// What a graph costs a rank to train on, in the units shares are balanced in: its nodes plus its
// stored edges (the fused attention's passes walk both; the products scale with the nodes).
int64_t graph_work(const GraphDataset& dataset, int64_t g);

// The step's `graphs` divided among `ranks`, each rank's share in the step's order. Every rank
// computes the same division from the dataset's graph sizes alone.
// kBalanced: longest first, each to the least loaded rank (the lowest on a tie), then single moves
// and pairwise swaps off the most loaded rank while they lower its load below the old maximum
// (deterministic; at most a few hundred comparisons for a step of tens of graphs).
// kContiguous: rank r takes graphs [n r / P, n (r + 1) / P), whatever their sizes.
std::vector<std::vector<int64_t>> divide_graphs(const GraphDataset& dataset, const std::vector<int64_t>& graphs,
                                                int64_t ranks, Shares shares);

// The same division for items of any kind given each one's work: each rank's positions in
// `work`, ascending. divide_graphs is this on graph_work; Cluster-GCN groups use it too.
std::vector<std::vector<std::size_t>> divide_work(const std::vector<int64_t>& work, int64_t ranks, Shares shares);

// Each share's work (graph_work summed), and max / mean of them (1 for no work).
std::vector<int64_t> share_work(const GraphDataset& dataset, const std::vector<std::vector<int64_t>>& shares);
double imbalance(const std::vector<double>& per_rank);

}  // namespace gat::data
