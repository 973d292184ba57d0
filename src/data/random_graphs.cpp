// Random benchmark graphs.
#include "data/random_graphs.h"

namespace gat::data {

GraphDataset random_graphs(const RandomGraphsOptions& o) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(o.seed);
  GraphDataset d;
  d.path = "random graphs";
  d.task = Task::kMultilabel;
  d.num_classes = o.classes;
  const int64_t n = o.graphs * o.nodes;
  d.features = torch::randn({n, o.features}, gen);
  d.labels = (torch::rand({n, o.classes}, gen) < 0.3).to(torch::kUInt8);
  std::vector<torch::Tensor> edges;
  std::vector<int64_t> edge_ptr{0};
  for (int64_t g = 0; g < o.graphs; ++g) {
    const torch::Tensor src = torch::randint(o.nodes, {o.nodes * o.degree}, gen);
    const torch::Tensor dst = torch::randint(o.nodes, {o.nodes * o.degree}, gen);
    // Symmetrise, then keep each (source, target) pair once via its linear id.
    const torch::Tensor ids = torch::cat({src * o.nodes + dst, dst * o.nodes + src});
    torch::Tensor unique = std::get<0>(torch::_unique(ids, /*sorted=*/true));
    unique = unique.masked_select(unique.div(o.nodes, "floor") != unique.remainder(o.nodes));
    edges.push_back(torch::stack({unique.div(o.nodes, "floor"), unique.remainder(o.nodes)}) + g * o.nodes);
    edge_ptr.push_back(edge_ptr.back() + unique.numel());
  }
  d.edge_index = torch::cat(edges, 1);
  d.graph_ptr = torch::arange(0, n + 1, o.nodes, torch::kInt64);
  d.edge_ptr = torch::tensor(edge_ptr, torch::kInt64);
  d.train = {SplitLevel::kGraph, torch::arange(o.graphs, torch::kInt64)};
  d.val = {SplitLevel::kGraph, torch::zeros({1}, torch::kInt64)};
  d.test = d.val;
  return d;
}

}  // namespace gat::data
