// Cutting graphs and node sets out of a dataset, and keeping each graph's edge plan.
#include "data/batch_source.h"

#include <algorithm>

#include "common/device.h"
#include "data/graph_ids.h"
#include "data/graph_shares.h"

namespace gat::data {
namespace {

using torch::indexing::Slice;

// Features sparser than this go to the model as a sparse COO matrix (Cora's are 1.3% non-zero,
// Pubmed's 10.02%), which makes the first layer's product and input dropout cost O(nonzeros)
// instead of O(N F). Measured on Pubmed-shaped graphs (docs/performance.md, "Where sparse
// features pay"): the sparse step is 1.7x faster at 10% density, about even with the dense one at
// 20% on 2 threads, and no faster at 35%.
constexpr double kSparseFeaturesBelow = 0.2;

// Graph g's edges, int64 [2, e], with its nodes numbered from 0, on the CPU where plans are made.
torch::Tensor graph_edges(const GraphDataset& dataset, int64_t g) {
  const auto node_ptr = dataset.graph_ptr.accessor<int64_t, 1>();
  const auto edge_ptr = dataset.edge_ptr.accessor<int64_t, 1>();
  return dataset.edge_index.index({Slice(), Slice(edge_ptr[g], edge_ptr[g + 1])}) - node_ptr[g];
}

// `ids` as an int64 tensor that borrows its memory (clone it to keep it past `ids`).
torch::Tensor tensor(std::vector<int64_t>& ids) {
  return torch::from_blob(ids.data(), {static_cast<int64_t>(ids.size())}, torch::kInt64);
}

}  // namespace

BatchSource::BatchSource(const GraphDataset& dataset, const BatchSourceOptions& options, const torch::Device& device)
    : dataset_(dataset), options_(options), device_(device), graph_plans_(dataset.num_graphs()) {
  if (dataset.streamed) {  // graph-level only (load_graph_dataset)
    graph_plans_.clear();
    stream_ = std::make_unique<GraphStream>(
        dataset, GraphStreamOptions{options.cache_bytes, options.add_self_loops, options.normalize_features});
    return;
  }
  features_ = options.normalize_features ? rows_summing_to_one(dataset.features) : dataset.features;
  labels_ = dataset.labels;
  if (node_level()) {
    const double density = features_.numel() ? features_.count_nonzero().item<double>() / features_.numel() : 1;
    sparse_features_ = density < kSparseFeaturesBelow;
    // Clustered, the graph trains on groups and is scored layer by layer in parts: the whole
    // graph's batch, its plan's per-edge tensors and a copy of its features, would go unused.
    if (clustered()) {
      index_clusters();
      return;
    }
    train_nodes_.x = to_device(sparse_features_ ? features_.to_sparse().coalesce() : features_, device_);
    train_nodes_.plan = plan_on(train_nodes_.x, dataset.edge_index, options.add_self_loops);
    train_nodes_.labels = to_device(labels_.index_select(0, dataset.train.ids), device_);
    train_nodes_.scored = to_device(dataset.train.ids, device_);
    train_nodes_.graphs = {GraphExtent{0, train_nodes_.plan.num_nodes, train_nodes_.plan.num_edges()}};
  } else {
    features_ = features_.to(device_);
    labels_ = labels_.to(device_);
  }
}

std::vector<int64_t> BatchSource::rank_share(const std::vector<int64_t>& graphs) const {
  return divide_graphs(dataset_, graphs, options_.ranks, options_.shares)[options_.rank];
}

const EdgePlan& BatchSource::plan_of(int64_t g) {
  std::optional<EdgePlan>& plan = graph_plans_[g];
  if (!plan)
    plan = to_device(make_edge_plan(graph_edges(dataset_, g), nodes_of(dataset_, g), options_.add_self_loops), device_);
  return *plan;
}

Batch BatchSource::graphs_batch(const std::vector<int64_t>& graphs) {
  // Each graph's rows and plan: cut from the dataset (on the device for graph-level data) with the
  // kept plan, or read from the stream (on the CPU; `read` holds them until they are joined).
  const auto node_ptr = dataset_.graph_ptr.accessor<int64_t, 1>();
  std::vector<std::shared_ptr<const StreamedGraph>> read;
  std::vector<torch::Tensor> xs, ys;
  std::vector<const EdgePlan*> plans;
  Batch batch;
  for (int64_t g : graphs) {
    if (stream_) {
      read.push_back(stream_->graph(g));
      xs.push_back(read.back()->features);
      ys.push_back(read.back()->labels);
      plans.push_back(&read.back()->plan);
    } else {
      xs.push_back(features_.index({Slice(node_ptr[g], node_ptr[g + 1])}));
      ys.push_back(labels_.index({Slice(node_ptr[g], node_ptr[g + 1])}));
      plans.push_back(&plan_of(g));
    }
    batch.graphs.push_back(GraphExtent{g, plans.back()->num_nodes, plans.back()->num_edges()});
  }
  batch.x = to_device(torch::cat(xs), device_);
  batch.labels = to_device(torch::cat(ys), device_);
  batch.plan = to_device(join_plans(plans), device_);
  return batch;
}

void BatchSource::index_clusters() {
  const Partition& part = *dataset_.partition;
  const int64_t k = part.num_clusters(), n = dataset_.num_nodes(), e = dataset_.num_edges();
  const auto ptr = part.cluster_ptr.accessor<int64_t, 1>();
  const int64_t* target = dataset_.edge_index.data_ptr<int64_t>() + e;
  is_train_.assign(n, 0);
  const int64_t* train = dataset_.train.ids.data_ptr<int64_t>();
  for (int64_t i = 0; i < dataset_.train.ids.numel(); ++i) is_train_[train[i]] = 1;
  cluster_edges_.assign(k + 1, 0);
  cluster_train_.assign(k, 0);
  for (int64_t c = 0; c < k; ++c) {
    cluster_edges_[c + 1] = std::lower_bound(target, target + e, ptr[c + 1]) - target;  // rule 11: sorted
    for (int64_t r = ptr[c]; r < ptr[c + 1]; ++r) cluster_train_[c] += is_train_[r];
  }
  group_row_.assign(n, -1);
}

Batch BatchSource::groups_batch(const std::vector<std::vector<int64_t>>& groups) {
  const auto ptr = dataset_.partition->cluster_ptr.accessor<int64_t, 1>();
  const int64_t e = dataset_.num_edges();
  const int64_t* source = dataset_.edge_index.data_ptr<int64_t>();
  const int64_t* target = source + e;
  std::vector<int64_t> rows, scored, edges[2];
  Batch batch;
  for (const std::vector<int64_t>& group : groups) {
    const auto first_row = static_cast<int64_t>(rows.size());
    for (int64_t c : group)
      for (int64_t r = ptr[c]; r < ptr[c + 1]; ++r) {
        group_row_[r] = static_cast<int64_t>(rows.size());
        if (is_train_[r]) scored.push_back(group_row_[r]);
        rows.push_back(r);
      }
    // The edges into the group's clusters whose source is in the group too: within a cluster, and
    // between two of the group's clusters.
    for (int64_t c : group)
      for (int64_t j = cluster_edges_[c]; j < cluster_edges_[c + 1]; ++j)
        if (group_row_[source[j]] >= 0) {
          edges[0].push_back(group_row_[source[j]]);
          edges[1].push_back(group_row_[target[j]]);
        }
    for (std::size_t i = first_row; i < rows.size(); ++i) group_row_[rows[i]] = -1;
    // Keyed by the group's first cluster, which no other group of the epoch holds, so that its
    // dropout masks depend on neither the rank that trains it nor the number of ranks. Its edge
    // columns are counted once the plan is made (self loops added, stored ones dropped).
    batch.graphs.push_back(GraphExtent{group.front(), static_cast<int64_t>(rows.size()) - first_row, 0});
  }
  const int64_t n = static_cast<int64_t>(rows.size());
  const EdgePlan plan = make_edge_plan(torch::stack({tensor(edges[0]), tensor(edges[1])}), n, options_.add_self_loops);
  const auto target_ptr = plan.target_ptr.accessor<int64_t, 1>();
  int64_t first = 0;  // a plan sorts by target, so a group's columns are together
  for (GraphExtent& g : batch.graphs) {
    g.edges = target_ptr[first + g.nodes] - target_ptr[first];
    first += g.nodes;
  }
  const torch::Tensor row_ids = tensor(rows);
  const torch::Tensor x = features_.index_select(0, row_ids);
  batch.x = to_device(sparse_features_ ? x.to_sparse().coalesce() : x, device_);
  batch.plan = to_device(plan, device_);
  batch.scored = to_device(tensor(scored).clone(), device_);
  batch.labels = to_device(labels_.index_select(0, row_ids.index_select(0, tensor(scored))), device_);
  return batch;
}

void BatchSource::for_each_target_part(int64_t edges, int64_t rank, int64_t ranks,
                                       const std::function<void(const TargetPart&)>& use) {
  const int64_t n = dataset_.num_nodes(), e = dataset_.num_edges();
  const int64_t* source = dataset_.edge_index.data_ptr<int64_t>();
  const int64_t* target = source + e;  // sorted (rule 11): a part's incoming edges are one range
  for (int64_t first = 0, column = 0, index = 0; first < n; ++index) {
    // Whole targets until the part holds `edges` edges (at least one target).
    int64_t last = first + 1, end = column;
    while (end < e && target[end] < last) ++end;
    while (last < n && end - column < edges) {
      ++last;
      while (end < e && target[end] < last) ++end;
    }
    if (index % ranks != rank) {
      first = last, column = end;
      continue;
    }
    std::vector<int64_t> nodes, pairs[2];
    for (int64_t r = first; r < last; ++r) group_row_[r] = r - first, nodes.push_back(r);
    for (int64_t j = column; j < end; ++j) {
      if (group_row_[source[j]] < 0) {
        group_row_[source[j]] = static_cast<int64_t>(nodes.size());
        nodes.push_back(source[j]);
      }
      pairs[0].push_back(group_row_[source[j]]);
      pairs[1].push_back(target[j] - first);
    }
    for (int64_t r : nodes) group_row_[r] = -1;
    TargetPart part{first, last - first, to_device(tensor(nodes).clone(), device_), {}};
    part.plan = to_device(make_edge_plan(torch::stack({tensor(pairs[0]), tensor(pairs[1])}),
                                         static_cast<int64_t>(nodes.size()), options_.add_self_loops),
                          device_);
    use(part);
    first = last, column = end;
  }
}

StepBatch BatchSource::cluster_step(const std::vector<int64_t>& clusters) {
  const auto ptr = dataset_.partition->cluster_ptr.accessor<int64_t, 1>();
  const auto q = static_cast<std::size_t>(options_.clusters_per_batch);
  StepBatch step;
  std::vector<std::vector<int64_t>> groups;
  std::vector<int64_t> work;
  for (std::size_t i = 0; i < clusters.size(); i += q) {
    // In ascending order, so that a group's rows keep the file's order whatever the shuffle drew.
    std::vector<int64_t> group(clusters.begin() + i, clusters.begin() + std::min(clusters.size(), i + q));
    std::sort(group.begin(), group.end());
    int64_t nodes = 0, edges = 0;
    for (int64_t c : group) {
      nodes += ptr[c + 1] - ptr[c];
      edges += cluster_edges_[c + 1] - cluster_edges_[c];
      step.nodes += cluster_train_[c];
    }
    step.edges += edges;
    if (nodes == 0) continue;  // empty clusters only: nothing to compute
    groups.push_back(std::move(group));
    work.push_back(nodes + edges);
  }
  step.graphs = static_cast<int64_t>(groups.size());
  const std::vector<std::vector<std::size_t>> shares = divide_work(work, options_.ranks, options_.shares);
  std::vector<std::vector<int64_t>> mine;
  for (std::size_t i : shares[options_.rank]) mine.push_back(groups[i]);
  if (!mine.empty()) step.mine = groups_batch(mine);
  return step;
}

StepBatch BatchSource::step(const std::vector<int64_t>& graphs) {
  if (clustered()) return cluster_step(graphs);
  StepBatch step;
  if (node_level()) {
    step.mine = train_nodes_;
    step.nodes = dataset_.train.ids.numel();
    step.graphs = dataset_.num_graphs();
    step.edges = dataset_.num_edges();
    return step;
  }
  // The loss is the mean over every node of the global batch, whichever rank holds it.
  step.nodes = nodes_in(dataset_, graphs);
  step.graphs = static_cast<int64_t>(graphs.size());
  step.edges = edges_in(dataset_, graphs);
  const std::vector<int64_t> mine = rank_share(graphs);
  if (!mine.empty()) step.mine = graphs_batch(mine);
  return step;
}

void BatchSource::prefetch(const std::vector<int64_t>& graphs) {
  if (stream_) stream_->prefetch(rank_share(graphs));
}

void BatchSource::for_each_batch(const Split& split, const std::function<void(const Batch&)>& score) {
  if (split.level == SplitLevel::kNode) {
    TORCH_CHECK(!clustered(), "for_each_batch: a clustered graph is scored by whole_graph_logits, in parts");
    Batch batch = train_nodes_;
    batch.labels = to_device(labels_.index_select(0, split.ids), device_);
    batch.scored = to_device(split.ids, device_);
    score(batch);
    return;
  }
  const std::vector<int64_t> mine = rank_share(graph_ids(split));
  const std::size_t chunk = options_.eval_graphs;
  for (std::size_t i = 0; i < mine.size(); i += chunk)
    score(graphs_batch(std::vector<int64_t>(mine.begin() + i, mine.begin() + std::min(mine.size(), i + chunk))));
}

}  // namespace gat::data
