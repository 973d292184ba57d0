// Hyperslab reads of one graph, its checks, the cache and the prefetch thread.
#include "data/graph_stream.h"

#include <algorithm>

#include "common/error.h"
#include "data/graph_checks.h"

namespace gat::data {

GraphStream::GraphStream(const GraphDataset& dataset, const GraphStreamOptions& options)
    : dataset_(dataset), options_(options), file_(dataset.path, H5File::Mode::kRead) {
  prefetcher_ = std::thread([this] { run_prefetcher(); });
}

GraphStream::~GraphStream() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  prefetcher_.join();
}

std::shared_ptr<const StreamedGraph> GraphStream::read(int64_t g) {
  const auto node_ptr = dataset_.graph_ptr.accessor<int64_t, 1>();
  const auto edge_ptr = dataset_.edge_ptr.accessor<int64_t, 1>();
  const int64_t lo = node_ptr[g], n = node_ptr[g + 1] - lo;
  const int64_t first_col = edge_ptr[g], e = edge_ptr[g + 1] - first_col;
  const Checker check(file_);
  // A read's failure and a value's name the file, the dataset and a row, not the graph: add it.
  auto naming_graph = [g](const auto& step) {
    try {
      step();
    } catch (const Error& error) {
      throw Error(std::string(error.what()) + " (graph " + std::to_string(g) + ")");
    }
  };
  auto graph = std::make_shared<StreamedGraph>();
  torch::Tensor edges;
  naming_graph([&] {
    std::lock_guard<std::mutex> lock(file_mutex_);
    graph->features = file_.read_slab("/features", {lo, 0}, {n, dataset_.num_features()});
    graph->labels = dataset_.task == Task::kMulticlass ? file_.read_slab("/labels", {lo}, {n})
                                                       : file_.read_slab("/labels", {lo, 0}, {n, dataset_.num_classes});
    edges = file_.read_slab("/edge_index", {0, first_col}, {2, e});
  });
  // The whole-file checks, on this graph's slices: the edges' sources, then their targets, each
  // inside the graph's node range (which covers [0, N)); then the values.
  for (int64_t row = 0; row < 2; ++row)
    check_edges_in_graph(check, edges[row].data_ptr<int64_t>(), first_col, e, g, lo, lo + n);
  naming_graph([&] {
    check_features(check, graph->features, lo);
    check_labels(check, dataset_.task, dataset_.num_classes, graph->labels, lo);
  });
  if (options_.normalize_features) graph->features = rows_summing_to_one(graph->features);
  graph->plan = make_edge_plan(edges - lo, n, options_.add_self_loops);
  auto tensor_bytes = [](const torch::Tensor& t) { return t.numel() * static_cast<int64_t>(t.element_size()); };
  graph->bytes = tensor_bytes(graph->features) + tensor_bytes(graph->labels) + tensor_bytes(graph->plan.edge_index) +
                 tensor_bytes(graph->plan.target_ptr) + tensor_bytes(graph->plan.source_ptr) +
                 tensor_bytes(graph->plan.by_source);
  return graph;
}

void GraphStream::keep(int64_t g, std::shared_ptr<const StreamedGraph> graph) {
  cached_bytes_ += graph->bytes;
  cache_[g] = std::move(graph);
  recent_.push_front(g);
  // The least recently used go first; the graph just read stays even past the bound.
  while (cached_bytes_ > options_.cache_bytes && recent_.size() > 1) {
    const int64_t old = recent_.back();
    recent_.pop_back();
    cached_bytes_ -= cache_[old]->bytes;
    cache_.erase(old);
  }
}

std::shared_ptr<const StreamedGraph> GraphStream::graph(int64_t g) {
  {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      if (const auto it = cache_.find(g); it != cache_.end()) {
        recent_.remove(g);
        recent_.push_front(g);
        return it->second;
      }
      if (const auto bad = failed_.find(g); bad != failed_.end()) throw Error(bad->second);
      if (!reading_.count(g)) break;
      changed_.wait(lock);  // the prefetcher has it in hand
    }
    queue_.erase(std::remove(queue_.begin(), queue_.end(), g), queue_.end());
    reading_.insert(g);
  }
  std::shared_ptr<const StreamedGraph> graph;
  try {
    graph = read(g);
  } catch (...) {
    std::lock_guard<std::mutex> lock(mutex_);
    reading_.erase(g);
    changed_.notify_all();
    throw;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  reading_.erase(g);
  keep(g, graph);
  changed_.notify_all();
  return graph;
}

void GraphStream::prefetch(const std::vector<int64_t>& graphs) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.clear();
    for (int64_t g : graphs)
      if (!cache_.count(g) && !reading_.count(g) && !failed_.count(g)) queue_.push_back(g);
  }
  changed_.notify_all();
}

void GraphStream::run_prefetcher() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    changed_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    const int64_t g = queue_.front();
    queue_.pop_front();
    reading_.insert(g);
    lock.unlock();
    std::shared_ptr<const StreamedGraph> graph;
    std::string failure;
    try {
      graph = read(g);
    } catch (const std::exception& error) {
      failure = error.what();
    }
    lock.lock();
    reading_.erase(g);
    if (graph)
      keep(g, std::move(graph));
    else
      failed_[g] = failure;
    changed_.notify_all();
  }
}

}  // namespace gat::data
