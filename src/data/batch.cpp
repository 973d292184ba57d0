// Cutting graphs and node sets out of a dataset.
#include "data/batch.h"

#include "common/device.h"

namespace gat::data {

using torch::indexing::Slice;

torch::Tensor model_features(const GraphDataset& dataset, bool normalize_rows) {
  if (!normalize_rows) return dataset.features;
  const torch::Tensor sums = dataset.features.sum(1, /*keepdim=*/true);
  return dataset.features / sums.masked_fill(sums == 0, 1);
}

torch::Tensor graph_edges(const GraphDataset& dataset, int64_t g) {
  const auto node_ptr = dataset.graph_ptr.accessor<int64_t, 1>();
  const auto edge_ptr = dataset.edge_ptr.accessor<int64_t, 1>();
  return dataset.edge_index.index({Slice(), Slice(edge_ptr[g], edge_ptr[g + 1])}) - node_ptr[g];
}

Batch graph_batch(const GraphDataset& dataset, const torch::Tensor& features, const torch::Tensor& labels,
                  const std::vector<int64_t>& graphs) {
  const auto node_ptr = dataset.graph_ptr.accessor<int64_t, 1>();
  std::vector<torch::Tensor> xs, ys;
  int64_t offset = 0;
  for (int64_t g : graphs) {
    const int64_t n0 = node_ptr[g], n1 = node_ptr[g + 1];
    xs.push_back(features.index({Slice(n0, n1)}));
    ys.push_back(labels.index({Slice(n0, n1)}));
    offset += n1 - n0;
  }
  Batch batch;
  batch.num_graphs = static_cast<int64_t>(graphs.size());
  if (graphs.empty()) {
    batch.x = features.new_empty({0, features.size(1)});
    batch.labels = labels.index({Slice(0, 0)});
  } else {
    batch.x = torch::cat(xs);
    batch.labels = torch::cat(ys);
  }
  batch.scored = torch::arange(offset, features.options().dtype(torch::kInt64));
  return batch;
}

Batch node_batch(const GraphDataset& dataset, const torch::Tensor& features, const torch::Tensor& nodes,
                 double sparse_below) {
  Batch batch;
  const double density = features.numel() ? features.count_nonzero().item<double>() / features.numel() : 1;
  batch.x = density < sparse_below ? features.to_sparse().coalesce() : features;
  batch.scored = nodes;
  batch.labels = dataset.labels.index_select(0, nodes);
  batch.num_graphs = dataset.num_graphs();
  return batch;
}

Batch to_device(Batch batch, const torch::Device& device) {
  batch.x = gat::to_device(batch.x, device);
  batch.labels = gat::to_device(batch.labels, device);
  batch.scored = gat::to_device(batch.scored, device);
  return batch;
}

}  // namespace gat::data
