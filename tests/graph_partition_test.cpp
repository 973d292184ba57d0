// Version-2 files: a partition round-trips, and each breach of rules 10 to 12 gets its exact line
// (the lines of docs/data_format.md's table of bad partitions).
#include <gtest/gtest.h>

#include "common/error.h"
#include "data/dataset_fingerprint.h"
#include "data/dataset_shape.h"
#include "data/graph_dataset.h"
#include "support/graph_file.h"

using gat::data::load_graph_dataset;
using gat::testing::GraphFileSpec;
using gat::testing::TempDir;

namespace {

class GraphPartitionTest : public ::testing::Test {
 protected:
  // The error loading `spec` gives, with the file's path replaced by "d.h5".
  std::string error_of(const GraphFileSpec& spec) const {
    const std::string path = dir_.file("d.h5");
    gat::testing::write_graph_file(path, spec);
    try {
      load_graph_dataset(path);
    } catch (const gat::Error& e) {
      const std::string what = e.what();
      EXPECT_EQ(what.rfind(path + ": ", 0), 0u) << what;
      return "d.h5" + what.substr(path.size());
    }
    return "no error";
  }

  // A valid partitioned spec with `dataset` replaced by `values`.
  static GraphFileSpec with(const std::string& dataset, std::vector<int64_t> values) {
    GraphFileSpec spec;
    spec.partitioned().datasets[dataset] = torch::tensor(values, torch::kInt64);
    return spec;
  }

  TempDir dir_;
};

TEST_F(GraphPartitionTest, APartitionRoundTrips) {
  GraphFileSpec spec;
  spec.partitioned();
  gat::testing::write_graph_file(dir_.file("d.h5"), spec);
  const auto d = load_graph_dataset(dir_.file("d.h5"));
  ASSERT_TRUE(d.partition);
  EXPECT_EQ(d.partition->num_clusters(), 2);
  EXPECT_TRUE(d.partition->cluster_ptr.equal(spec.datasets.at("/partition/cluster_ptr")));
  EXPECT_TRUE(d.partition->node_perm.equal(spec.datasets.at("/partition/node_perm")));
  EXPECT_TRUE(d.partition->cluster.equal(spec.datasets.at("/partition/cluster")));
  EXPECT_EQ(d.partition->method, "random");
  EXPECT_FALSE(load_graph_dataset(dir_.file("d.h5"), true).streamed);
  GraphFileSpec v1;
  v1.node_splits();
  gat::testing::write_graph_file(dir_.file("d.h5"), v1);
  EXPECT_FALSE(load_graph_dataset(dir_.file("d.h5")).partition);
}

// The same rows cut into other clusters are other data to a checkpoint and to the ranks' start-up
// check, and a version-1 file's fingerprint does not change.
TEST_F(GraphPartitionTest, AnotherPartitionOfTheSameRowsIsOtherData) {
  GraphFileSpec spec;
  spec.partitioned();
  gat::testing::write_graph_file(dir_.file("a.h5"), spec);
  spec.datasets["/partition/cluster_ptr"] = torch::tensor({0, 2, 5}, torch::kInt64);
  spec.datasets["/partition/cluster"] = torch::tensor({0, 1, 0, 1, 1}, torch::kInt64);
  gat::testing::write_graph_file(dir_.file("b.h5"), spec);
  const auto a = load_graph_dataset(dir_.file("a.h5")), b = load_graph_dataset(dir_.file("b.h5"));
  EXPECT_NE(gat::data::content_fingerprint(a), gat::data::content_fingerprint(b));
  EXPECT_EQ(gat::data::describe_shape(a),
            "data.task: multiclass\ndata.num_classes: 3\ndata.shape: nodes 5, features 2, edges 6, graphs 1\n"
            "data.splits: node level, train 2, val 1, test 2\ndata.partition: 2 clusters (random, seed 0)\n");
  gat::data::GraphDataset v1 = a;
  v1.partition.reset();
  EXPECT_EQ(gat::data::describe_shape(v1).find("partition"), std::string::npos);
}

TEST_F(GraphPartitionTest, EachBadPartitionGetsItsLine) {
  EXPECT_EQ(error_of(with("/partition/cluster", {0, 0, 12, 1, 1})),
            "d.h5: /partition/cluster: node 2 is in cluster 12, expected [0, 2)");
  EXPECT_EQ(error_of(with("/partition/cluster_ptr", {0, 3, 4})),
            "d.h5: /partition/cluster_ptr: rows 4..4 are in no cluster (expected last entry 5, the number of nodes)");
  EXPECT_EQ(error_of(with("/partition/cluster_ptr", {2, 3, 5})),
            "d.h5: /partition/cluster_ptr: rows 0..1 are in no cluster (expected first entry 0)");
  EXPECT_EQ(error_of(with("/partition/cluster_ptr", {0, 3, 1, 5})),
            "d.h5: /partition/cluster_ptr: entries 1 and 2 are 3 then 1: rows 1..2 would be in two clusters "
            "(expected non-decreasing entries)");
  EXPECT_EQ(error_of(with("/partition/cluster_ptr", {0, 3, 6})),
            "d.h5: /partition/cluster_ptr: expected last entry 5, the number of nodes, got 6");
  EXPECT_EQ(error_of(with("/partition/node_perm", {2, 0, 1, 0, 3})),
            "d.h5: /partition/node_perm: node 0 is at rows 1 and 3, expected a permutation of [0, 5)");
  EXPECT_EQ(error_of(with("/partition/node_perm", {2, 0, 1, 5, 3})),
            "d.h5: /partition/node_perm: row 3 holds node 5, expected a permutation of [0, 5)");
  EXPECT_EQ(error_of(with("/partition/cluster", {0, 1, 0, 1, 1})),
            "d.h5: /partition/cluster: node 1 (row 2) is in cluster 1, but row 2 is in cluster 0's rows");
}

TEST_F(GraphPartitionTest, AVersion2FileIsOneSortedGraphWithItsPartition) {
  GraphFileSpec spec;
  spec.partitioned().datasets.erase("/partition/cluster");
  EXPECT_EQ(error_of(spec), "d.h5: /partition/cluster: missing");
  spec = {};
  spec.partitioned();
  for (const char* name : {"/partition/cluster_ptr", "/partition/node_perm", "/partition/cluster"})
    spec.datasets.erase(name);
  spec.partition_attributes.clear();
  EXPECT_EQ(error_of(spec), "d.h5: /partition: missing (a version-2 file holds a partition)");
  spec = {};
  spec.partitioned().datasets["/edge_index"] = torch::tensor({{1, 0, 2, 1, 4, 3}, {0, 1, 2, 1, 3, 4}}, torch::kInt64);
  EXPECT_EQ(error_of(spec),
            "d.h5: /edge_index: expected columns sorted by target (version 2), got target 2 then 1 at columns 2 and 3");
  spec = {};
  spec.partitioned().datasets["/graph_ptr"] = torch::tensor({0, 3, 5}, torch::kInt64);
  spec.datasets["/edge_ptr"] = torch::tensor({0, 4, 6}, torch::kInt64);
  EXPECT_EQ(error_of(spec), "d.h5: /graph_ptr: expected [0, N] (a version-2 file holds one graph), got shape [3]");
  spec = {};
  spec.partitioned().datasets["/partition/node_perm"] = torch::tensor({2, 0, 1, 4}, torch::kInt64);
  EXPECT_EQ(error_of(spec), "d.h5: /partition/node_perm: expected shape [5] (one entry per node), got [4]");
  spec = {};
  spec.partitioned().partition_attributes.erase("method");
  EXPECT_EQ(error_of(spec), "d.h5: /partition: attribute method: missing");
}

}  // namespace
