// What a dropout mask is a function of, so that it never depends on where a graph is trained.
#pragma once

#include <cstdint>
#include <vector>

namespace gat {

// One graph of a batch: its id in the dataset, and its rows among the batch's nodes and among its
// plan's edge columns (a joined plan keeps each graph's columns together, in batch order).
struct GraphExtent {
  int64_t graph = 0;
  int64_t nodes = 0;
  int64_t edges = 0;
};

// Dropout draws each element's fate from a counter-based generator keyed by (seed, epoch, graph,
// layer, site) at the element's index within its graph. A mask then depends on neither the rank
// that holds a graph, nor the graphs that share its batch, nor the number of ranks, and a run
// resumes on any number of ranks with no generator state to carry over.
struct DropoutKey {
  uint64_t seed = 0;
  int64_t epoch = 0;
  int64_t layer = 0;
  std::vector<GraphExtent> graphs;  // the batch's graphs, in row order

  DropoutKey at_layer(int64_t l) const {
    DropoutKey key = *this;
    key.layer = l;
    return key;
  }
};

}  // namespace gat
