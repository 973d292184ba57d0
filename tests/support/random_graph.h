// Test helper: small random graphs as edge lists, for the layer and attention tests.
#pragma once

#include <torch/torch.h>

#include <cstdint>

namespace gat::testing {

// A duplicate-free random graph on n nodes with edge probability p; undirected graphs hold both
// directions. Some nodes end up isolated when p is small. Rows (source, target), [2, E].
torch::Tensor random_graph(int64_t n, double p, bool undirected, uint64_t seed);

// A directed random graph on n nodes in which node 0 sends to and receives from every node: the
// hub that makes one CSR row and one CSC row long. Duplicate-free, [2, E].
torch::Tensor hub_graph(int64_t n, uint64_t seed);

}  // namespace gat::testing
