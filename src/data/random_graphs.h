// Seeded random graphs of a given shape, for benchmarks: sizes like a real dataset, no signal.
#pragma once

#include "data/graph_dataset.h"

namespace gat::data {

struct RandomGraphsOptions {
  int64_t graphs = 2;    // all of them in the train split (graph level); val and test hold graph 0
  int64_t nodes = 2245;  // per graph (the PPI average)
  int64_t degree = 14;   // directed edges drawn per node, before symmetrising and removing duplicates
  int64_t features = 50;
  int64_t classes = 121;  // multilabel, each label on with probability 0.3
  uint64_t seed = 0;
};

// As ../shared/bench/ref_gat.py's ppi-synth: uniform random endpoints, both directions stored,
// self loops and duplicates dropped; standard normal features.
GraphDataset random_graphs(const RandomGraphsOptions& options);

}  // namespace gat::data
