// A dense random adjacency, kept as its nonzero entries.
#include "support/random_graph.h"

namespace gat::testing {

torch::Tensor random_graph(int64_t n, double p, bool undirected, uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  torch::Tensor adj = torch::rand({n, n}, gen) < p;
  if (undirected) adj = adj.triu(1) | adj.triu(1).t();
  return adj.nonzero().t().contiguous();
}

torch::Tensor hub_graph(int64_t n, uint64_t seed) {
  const torch::Tensor others = torch::arange(1, n);
  const torch::Tensor zeros = torch::zeros({n - 1}, torch::kInt64);
  const torch::Tensor all =
      torch::cat({random_graph(n, 0.05, false, seed), torch::stack({others, zeros}), torch::stack({zeros, others})}, 1);
  return std::get<0>(torch::unique_dim(all, 1));
}

}  // namespace gat::testing
