// Longest-first greedy shares, then moves and swaps off the most loaded rank.
#include "data/graph_shares.h"

#include <algorithm>
#include <numeric>

namespace gat::data {
namespace {

// Positions 0..n-1 of the step, divided by the greedy and refined; returns each rank's positions.
std::vector<std::vector<std::size_t>> balanced_positions(const std::vector<int64_t>& work, int64_t ranks) {
  const std::size_t n = work.size(), p = static_cast<std::size_t>(ranks);
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return work[a] > work[b]; });
  std::vector<std::vector<std::size_t>> share(p);
  std::vector<int64_t> load(p, 0);
  for (std::size_t i : order) {
    const std::size_t r = std::min_element(load.begin(), load.end()) - load.begin();
    share[r].push_back(i);
    load[r] += work[i];
  }
  // Moves and swaps off the most loaded rank, the one that lowers the larger of the two loads most
  // (strictly, so each round lowers the sorted loads and the loop ends).
  for (;;) {
    const std::size_t top = std::max_element(load.begin(), load.end()) - load.begin();
    int64_t best = load[top];
    std::size_t best_rank = p, best_a = 0, best_b = 0;  // b == npos: a move
    constexpr std::size_t kMove = static_cast<std::size_t>(-1);
    for (std::size_t r = 0; r < p; ++r) {
      if (r == top) continue;
      for (std::size_t a = 0; a < share[top].size(); ++a) {
        const int64_t wa = work[share[top][a]];
        if (const int64_t worse = std::max(load[top] - wa, load[r] + wa); worse < best)
          best = worse, best_rank = r, best_a = a, best_b = kMove;
        for (std::size_t b = 0; b < share[r].size(); ++b) {
          const int64_t d = wa - work[share[r][b]];
          if (const int64_t worse = std::max(load[top] - d, load[r] + d); d > 0 && worse < best)
            best = worse, best_rank = r, best_a = a, best_b = b;
        }
      }
    }
    if (best_rank == p) break;
    const std::size_t a = share[top][best_a];
    if (best_b == kMove) {
      share[top].erase(share[top].begin() + best_a);
      share[best_rank].push_back(a);
      load[top] -= work[a], load[best_rank] += work[a];
    } else {
      const std::size_t b = share[best_rank][best_b];
      share[top][best_a] = b, share[best_rank][best_b] = a;
      load[top] += work[b] - work[a], load[best_rank] += work[a] - work[b];
    }
  }
  for (auto& s : share) std::sort(s.begin(), s.end());
  return share;
}

}  // namespace

int64_t graph_work(const GraphDataset& dataset, int64_t g) {
  const auto node_ptr = dataset.graph_ptr.accessor<int64_t, 1>();
  const auto edge_ptr = dataset.edge_ptr.accessor<int64_t, 1>();
  return node_ptr[g + 1] - node_ptr[g] + edge_ptr[g + 1] - edge_ptr[g];
}

std::vector<std::vector<std::size_t>> divide_work(const std::vector<int64_t>& work, int64_t ranks, Shares shares) {
  if (shares == Shares::kBalanced) return balanced_positions(work, ranks);
  const std::size_t n = work.size(), p = static_cast<std::size_t>(ranks);
  std::vector<std::vector<std::size_t>> positions(p);
  for (std::size_t r = 0; r < p; ++r)
    for (std::size_t i = n * r / p; i < n * (r + 1) / p; ++i) positions[r].push_back(i);
  return positions;
}

std::vector<std::vector<int64_t>> divide_graphs(const GraphDataset& dataset, const std::vector<int64_t>& graphs,
                                                int64_t ranks, Shares shares) {
  std::vector<int64_t> work(graphs.size());
  for (std::size_t i = 0; i < graphs.size(); ++i) work[i] = graph_work(dataset, graphs[i]);
  const auto positions = divide_work(work, ranks, shares);
  std::vector<std::vector<int64_t>> divided(positions.size());
  for (std::size_t r = 0; r < positions.size(); ++r)
    for (std::size_t i : positions[r]) divided[r].push_back(graphs[i]);
  return divided;
}

std::vector<int64_t> share_work(const GraphDataset& dataset, const std::vector<std::vector<int64_t>>& shares) {
  std::vector<int64_t> work;
  for (const auto& share : shares) {
    int64_t sum = 0;
    for (int64_t g : share) sum += graph_work(dataset, g);
    work.push_back(sum);
  }
  return work;
}

double imbalance(const std::vector<double>& per_rank) {
  if (per_rank.empty()) return 1;
  const double mean = std::accumulate(per_rank.begin(), per_rank.end(), 0.0) / per_rank.size();
  return mean > 0 ? *std::max_element(per_rank.begin(), per_rank.end()) / mean : 1;
}

}  // namespace gat::data
