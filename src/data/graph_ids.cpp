// Counting over graph ids through the dataset's graph_ptr and edge_ptr.
#include "data/graph_ids.h"

namespace gat::data {

std::vector<int64_t> graph_ids(const Split& split) {
  const torch::Tensor ids = split.ids.contiguous();
  return std::vector<int64_t>(ids.data_ptr<int64_t>(), ids.data_ptr<int64_t>() + ids.numel());
}

int64_t nodes_of(const GraphDataset& dataset, int64_t g) {
  const auto ptr = dataset.graph_ptr.accessor<int64_t, 1>();
  return ptr[g + 1] - ptr[g];
}

int64_t nodes_in(const GraphDataset& dataset, const std::vector<int64_t>& graphs) {
  const auto ptr = dataset.graph_ptr.accessor<int64_t, 1>();
  int64_t n = 0;
  for (int64_t g : graphs) n += ptr[g + 1] - ptr[g];
  return n;
}

int64_t edges_in(const GraphDataset& dataset, const std::vector<int64_t>& graphs) {
  const auto ptr = dataset.edge_ptr.accessor<int64_t, 1>();
  int64_t e = 0;
  for (int64_t g : graphs) e += ptr[g + 1] - ptr[g];
  return e;
}

int64_t split_nodes(const GraphDataset& dataset, const Split& split) {
  if (split.level == SplitLevel::kNode) return split.ids.numel();
  return nodes_in(dataset, graph_ids(split));
}

}  // namespace gat::data
