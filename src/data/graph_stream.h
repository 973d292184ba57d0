// Graphs read from a gat-graphs file one at a time, checked when first read, kept in a bounded
// cache, and read a step ahead by a background thread (data.load: stream).
#pragma once

#include <torch/torch.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <list>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/edge_plan.h"
#include "data/graph_dataset.h"
#include "data/h5_file.h"

namespace gat::data {

// One graph as the model takes it: its nodes' features (rows scaled to sum 1 where asked) and
// labels, and its edges as a plan, nodes numbered from 0. All on the CPU.
struct StreamedGraph {
  torch::Tensor features;
  torch::Tensor labels;
  EdgePlan plan;
  int64_t bytes = 0;  // what the cache counts
};

struct GraphStreamOptions {
  int64_t cache_bytes = int64_t{1} << 30;  // data.cache_mb
  bool add_self_loops = true;              // the plans' (model.add_self_loops)
  bool normalize_features = false;         // data.normalize_features
};

// Reads graph g's rows of /features and /labels and its columns of /edge_index by hyperslab
// (chunked and gzip datasets too) and checks the rules of docs/data_format.md on them, with the
// messages a whole read gives and the graph named. A bad graph throws gat::Error wherever it is
// asked for, also when the background thread read it first.
class GraphStream {
 public:
  // `dataset` was loaded without values (load_graph_dataset(path, false)); it must outlive this.
  GraphStream(const GraphDataset& dataset, const GraphStreamOptions& options);
  ~GraphStream();
  GraphStream(const GraphStream&) = delete;
  GraphStream& operator=(const GraphStream&) = delete;

  // Graph g: from the cache, from the background thread (waiting for it), or read now.
  std::shared_ptr<const StreamedGraph> graph(int64_t g);

  // Has the background thread read `graphs` (this rank's next share) while the caller computes,
  // in place of what it was asked to read before.
  void prefetch(const std::vector<int64_t>& graphs);

 private:
  std::shared_ptr<const StreamedGraph> read(int64_t g);              // from the file; throws gat::Error
  void keep(int64_t g, std::shared_ptr<const StreamedGraph> graph);  // under mutex_
  void run_prefetcher();

  const GraphDataset& dataset_;
  GraphStreamOptions options_;
  H5File file_;
  std::mutex file_mutex_;  // HDF5 is not thread-safe here: one read at a time

  std::mutex mutex_;  // what follows
  std::condition_variable changed_;
  std::unordered_map<int64_t, std::shared_ptr<const StreamedGraph>> cache_;
  std::list<int64_t> recent_;  // cached graphs, most recently used first
  int64_t cached_bytes_ = 0;
  std::unordered_map<int64_t, std::string> failed_;  // graphs the prefetcher found bad, and why
  std::deque<int64_t> queue_;                        // for the prefetcher
  std::set<int64_t> reading_;                        // being read, by either thread
  bool stopping_ = false;
  std::thread prefetcher_;
};

}  // namespace gat::data
