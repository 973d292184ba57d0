// Each check walks its dataset once in order and names the first offender, so that the line is
// the one the Python validator (data_tools/gatrules.py) gives for the same file.
#include "data/graph_partition.h"

#include <string>
#include <vector>

namespace gat::data {
namespace {

std::string rows(int64_t first, int64_t last) { return "rows " + std::to_string(first) + ".." + std::to_string(last); }

// Rule 10: one graph, node splits.
void check_one_graph(const Checker& check, const GraphDataset& d) {
  if (d.num_graphs() != 1)
    check.fail("/graph_ptr",
               "expected [0, N] (a version-2 file holds one graph), got shape " + shape_string(d.graph_ptr.sizes()));
  if (d.train.level != SplitLevel::kNode)
    check.fail("/splits/train", "attribute level: expected 'node' (a version-2 file holds one graph), got 'graph'");
}

// Rule 11: the edges into a cluster are one range of columns.
void check_sorted_by_target(const Checker& check, const GraphDataset& d) {
  const int64_t e = d.num_edges();
  const int64_t* target = d.edge_index.data_ptr<int64_t>() + e;
  for (int64_t j = 1; j < e; ++j)
    if (target[j] < target[j - 1])
      check.fail("/edge_index", "expected columns sorted by target (version 2), got target " +
                                    std::to_string(target[j - 1]) + " then " + std::to_string(target[j]) +
                                    " at columns " + std::to_string(j - 1) + " and " + std::to_string(j));
}

// Rule 12, cluster_ptr: every row in exactly one cluster.
void check_cluster_ptr(const Checker& check, const torch::Tensor& ptr, int64_t n) {
  const std::string name = "/partition/cluster_ptr";
  if (ptr.size(0) < 2) check.fail(name, "expected shape [K + 1] with K >= 1, got " + shape_string(ptr.sizes()));
  const auto p = ptr.accessor<int64_t, 1>();
  if (p[0] > 0) check.fail(name, rows(0, p[0] - 1) + " are in no cluster (expected first entry 0)");
  if (p[0] < 0) check.fail(name, "expected first entry 0, got " + std::to_string(p[0]));
  for (int64_t i = 1; i < ptr.size(0); ++i)
    if (p[i] < p[i - 1])
      check.fail(name, "entries " + std::to_string(i - 1) + " and " + std::to_string(i) + " are " +
                           std::to_string(p[i - 1]) + " then " + std::to_string(p[i]) + ": " +
                           rows(p[i], p[i - 1] - 1) + " would be in two clusters (expected non-decreasing entries)");
  const int64_t last = p[ptr.size(0) - 1];
  if (last < n)
    check.fail(name, rows(last, n - 1) + " are in no cluster (expected last entry " + std::to_string(n) +
                         ", the number of nodes)");
  if (last > n)
    check.fail(name, "expected last entry " + std::to_string(n) + ", the number of nodes, got " + std::to_string(last));
}

// Rule 12, node_perm: every node at exactly one row.
void check_node_perm(const Checker& check, const torch::Tensor& perm) {
  const int64_t n = perm.size(0);
  const auto p = perm.accessor<int64_t, 1>();
  const std::string expected = ", expected a permutation of [0, " + std::to_string(n) + ")";
  std::vector<int64_t> row_of(n, -1);
  for (int64_t r = 0; r < n; ++r) {
    const int64_t node = p[r];
    if (node < 0 || node >= n)
      check.fail("/partition/node_perm", "row " + std::to_string(r) + " holds node " + std::to_string(node) + expected);
    if (row_of[node] >= 0)
      check.fail("/partition/node_perm", "node " + std::to_string(node) + " is at rows " +
                                             std::to_string(row_of[node]) + " and " + std::to_string(r) + expected);
    row_of[node] = r;
  }
}

// Rule 12, cluster: ids in range, and each row's node in the cluster whose rows hold it.
void check_clusters(const Checker& check, const Partition& part) {
  const int64_t k = part.num_clusters();
  const auto cluster = part.cluster.accessor<int64_t, 1>();
  for (int64_t node = 0; node < part.cluster.size(0); ++node)
    if (cluster[node] < 0 || cluster[node] >= k)
      check.fail("/partition/cluster", "node " + std::to_string(node) + " is in cluster " +
                                           std::to_string(cluster[node]) + ", expected [0, " + std::to_string(k) + ")");
  const auto ptr = part.cluster_ptr.accessor<int64_t, 1>();
  const auto perm = part.node_perm.accessor<int64_t, 1>();
  for (int64_t c = 0; c < k; ++c)
    for (int64_t r = ptr[c]; r < ptr[c + 1]; ++r)
      if (cluster[perm[r]] != c)
        check.fail("/partition/cluster", "node " + std::to_string(perm[r]) + " (row " + std::to_string(r) +
                                             ") is in cluster " + std::to_string(cluster[perm[r]]) + ", but row " +
                                             std::to_string(r) + " is in cluster " + std::to_string(c) + "'s rows");
}

}  // namespace

Partition read_partition(const H5File& file, const Checker& check, const GraphDataset& d) {
  check_one_graph(check, d);
  check_sorted_by_target(check, d);
  if (!file.has("/partition")) check.fail("/partition", "missing (a version-2 file holds a partition)");
  const int64_t n = d.num_nodes();
  Partition part;
  part.cluster_ptr = check.read("/partition/cluster_ptr", "int64", 1);
  part.node_perm = check.read("/partition/node_perm", "int64", 1);
  part.cluster = check.read("/partition/cluster", "int64", 1);
  check.expect_shape("/partition/node_perm", part.node_perm.sizes(), {n}, " (one entry per node)");
  check.expect_shape("/partition/cluster", part.cluster.sizes(), {n}, " (one entry per node)");
  part.method = check.string_attribute("/partition", "method");
  part.seed = check.int_attribute("/partition", "seed");
  check_cluster_ptr(check, part.cluster_ptr, n);
  check_node_perm(check, part.node_perm);
  check_clusters(check, part);
  return part;
}

}  // namespace gat::data
