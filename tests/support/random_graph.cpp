// A dense random adjacency, kept as its nonzero entries.
#include "support/random_graph.h"

namespace gat::testing {

torch::Tensor random_graph(int64_t n, double p, bool undirected, uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  torch::Tensor adj = torch::rand({n, n}, gen) < p;
  if (undirected) adj = adj.triu(1) | adj.triu(1).t();
  return adj.nonzero().t().contiguous();
}

}  // namespace gat::testing
