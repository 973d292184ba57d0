// The HDF5 reader: valid files round-trip; each broken rule gets its exact one-line error.
#include <gtest/gtest.h>

#include <fstream>

#include "common/error.h"
#include "data/graph_dataset.h"
#include "support/graph_file.h"

using gat::data::load_graph_dataset;
using gat::testing::GraphFileSpec;
using gat::testing::TempDir;

namespace {

class GraphDatasetTest : public ::testing::Test {
 protected:
  // The error that loading `spec` gives, with the temp path replaced by "d.h5".
  std::string error_of(const GraphFileSpec& spec) {
    const std::string path = dir_.file("d.h5");
    gat::testing::write_graph_file(path, spec);
    try {
      load_graph_dataset(path);
    } catch (const gat::Error& e) {
      std::string what = e.what();
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
      EXPECT_EQ(what.rfind(path + ": ", 0), 0u) << what;
      return "d.h5" + what.substr(path.size());
    }
    return "no error";
  }
  TempDir dir_;
};

TEST_F(GraphDatasetTest, ValidFileRoundTrips) {
  GraphFileSpec spec;
  gat::testing::write_graph_file(dir_.file("d.h5"), spec);
  const auto d = load_graph_dataset(dir_.file("d.h5"));
  EXPECT_EQ(d.task, gat::data::Task::kMulticlass);
  EXPECT_EQ(d.num_classes, 3);
  EXPECT_EQ(d.num_graphs(), 2);
  EXPECT_EQ(d.num_edges(), 6);
  for (const auto& [name, t] : std::vector<std::pair<std::string, torch::Tensor>>{
           {"/features", d.features}, {"/labels", d.labels}, {"/edge_index", d.edge_index},
           {"/graph_ptr", d.graph_ptr}, {"/edge_ptr", d.edge_ptr}, {"/splits/train", d.train.ids},
           {"/splits/val", d.val.ids}, {"/splits/test", d.test.ids}})
    EXPECT_TRUE(t.equal(spec.datasets[name])) << name;
  EXPECT_EQ(d.train.level, gat::data::SplitLevel::kGraph);
}

TEST_F(GraphDatasetTest, MultilabelNodeSplitsAndNoEdges) {
  GraphFileSpec spec;
  spec.multilabel().node_splits();
  spec.datasets["/edge_index"] = torch::zeros({2, 0}, torch::kInt64);
  spec.datasets["/edge_ptr"] = torch::zeros({3}, torch::kInt64);
  gat::testing::write_graph_file(dir_.file("d.h5"), spec);
  const auto d = load_graph_dataset(dir_.file("d.h5"));
  EXPECT_EQ(d.task, gat::data::Task::kMultilabel);
  EXPECT_TRUE(d.labels.equal(spec.datasets["/labels"]));
  EXPECT_EQ(d.num_edges(), 0);
  EXPECT_EQ(d.test.level, gat::data::SplitLevel::kNode);
}

TEST_F(GraphDatasetTest, MissingOrNotHdf5) {
  EXPECT_THROW(load_graph_dataset(dir_.file("none.h5")), gat::Error);
  try {
    load_graph_dataset(dir_.file("none.h5"));
  } catch (const gat::Error& e) {
    EXPECT_EQ(std::string(e.what()), dir_.file("none.h5") + ": no such file");
  }
  std::ofstream(dir_.file("text.h5")) << "not hdf5";
  try {
    load_graph_dataset(dir_.file("text.h5"));
    FAIL();
  } catch (const gat::Error& e) {
    EXPECT_EQ(std::string(e.what()), dir_.file("text.h5") + ": not an HDF5 file");
  }
}

TEST_F(GraphDatasetTest, RootAttributes) {
  GraphFileSpec s;
  s.root_attributes["format"] = std::string("other");
  EXPECT_EQ(error_of(s), "d.h5: /: attribute format: expected 'gat-graphs', got 'other'");
  s = {};
  s.root_attributes.erase("format");
  EXPECT_EQ(error_of(s), "d.h5: /: attribute format: missing");
  s = {};
  s.root_attributes["version"] = int64_t{2};
  EXPECT_EQ(error_of(s), "d.h5: /: attribute version: expected 1, got 2");
  s = {};
  s.root_attributes["version"] = std::string("1");
  EXPECT_EQ(error_of(s), "d.h5: /: attribute version: expected an integer, got string");
  s = {};
  s.root_attributes["task"] = std::string("regression");
  EXPECT_EQ(error_of(s), "d.h5: /: attribute task: expected 'multiclass' or 'multilabel', got 'regression'");
  s = {};
  s.root_attributes["num_classes"] = int64_t{0};
  EXPECT_EQ(error_of(s), "d.h5: /: attribute num_classes: expected > 0, got 0");
  s = {};
  s.root_attributes["num_classes"] = std::string("3");
  EXPECT_EQ(error_of(s), "d.h5: /: attribute num_classes: expected an integer, got string");
}

TEST_F(GraphDatasetTest, MissingDatasets) {
  for (const char* name : {"/features", "/labels", "/edge_index", "/graph_ptr", "/edge_ptr", "/splits/val"}) {
    GraphFileSpec s;
    s.datasets.erase(name);
    EXPECT_EQ(error_of(s), std::string("d.h5: ") + name + ": missing");
  }
  GraphFileSpec s;
  for (const char* name : {"/splits/train", "/splits/val", "/splits/test"}) s.datasets.erase(name);
  EXPECT_EQ(error_of(s), "d.h5: /splits: missing");
}

TEST_F(GraphDatasetTest, WrongDtypes) {
  GraphFileSpec s;
  s.datasets["/features"] = s.datasets["/features"].to(torch::kFloat64);
  EXPECT_EQ(error_of(s), "d.h5: /features: expected float32, got float64");
  s = {};
  s.datasets["/edge_index"] = s.datasets["/edge_index"].to(torch::kFloat32);
  EXPECT_EQ(error_of(s), "d.h5: /edge_index: expected int64, got float32");
  s = {};
  s.datasets["/labels"] = s.datasets["/labels"].to(torch::kUInt8);
  EXPECT_EQ(error_of(s), "d.h5: /labels: expected int64, got uint8");
  s = {};
  s.multilabel().datasets["/labels"] = s.datasets["/labels"].to(torch::kFloat32);
  EXPECT_EQ(error_of(s), "d.h5: /labels: expected uint8, got float32");
  s = {};
  s.datasets["/splits/test"] = s.datasets["/splits/test"].to(torch::kFloat64);
  EXPECT_EQ(error_of(s), "d.h5: /splits/test: expected int64, got float64");
}

TEST_F(GraphDatasetTest, WrongShapes) {
  GraphFileSpec s;
  s.datasets["/features"] = torch::zeros({5}, torch::kFloat32);
  EXPECT_EQ(error_of(s), "d.h5: /features: expected 2 dimensions, got shape [5]");
  s = {};
  s.datasets["/labels"] = torch::zeros({4}, torch::kInt64);
  EXPECT_EQ(error_of(s), "d.h5: /labels: expected shape [5] (one class per node), got [4]");
  s = {};
  s.multilabel().datasets["/labels"] = torch::zeros({5, 2}, torch::kUInt8);
  EXPECT_EQ(error_of(s), "d.h5: /labels: expected shape [5, 3] (nodes x num_classes), got [5, 2]");
  s = {};
  s.datasets["/edge_index"] = torch::zeros({3, 6}, torch::kInt64);
  EXPECT_EQ(error_of(s), "d.h5: /edge_index: expected shape [2, E], got [3, 6]");
  s = {};
  s.datasets["/edge_ptr"] = torch::tensor({0, 6}, torch::kInt64);
  EXPECT_EQ(error_of(s), "d.h5: /edge_ptr: expected shape [3] (like /graph_ptr), got [2]");
  s = {};
  s.datasets["/features"] = torch::zeros({0, 2}, torch::kFloat32);
  EXPECT_EQ(error_of(s), "d.h5: /features: expected at least one node and one feature, got shape [0, 2]");
}

TEST_F(GraphDatasetTest, BadValues) {
  GraphFileSpec s;
  s.datasets["/features"][2][1] = NAN;
  EXPECT_EQ(error_of(s), "d.h5: /features: expected finite values, got nan at row 2, column 1");
  s = {};
  s.datasets["/features"][0][0] = INFINITY;
  EXPECT_EQ(error_of(s), "d.h5: /features: expected finite values, got inf at row 0, column 0");
  s = {};
  s.datasets["/labels"][3] = 3;
  EXPECT_EQ(error_of(s), "d.h5: /labels: class 3 of node 3 is out of range [0, 3)");
  s = {};
  s.multilabel().datasets["/labels"][4][2] = 2;
  EXPECT_EQ(error_of(s), "d.h5: /labels: expected 0 or 1, got 2 at node 4, label 2");
  s = {};
  s.datasets["/edge_index"][1][3] = 9;
  EXPECT_EQ(error_of(s), "d.h5: /edge_index: node id 9 in column 3 is out of range [0, 5)");
  s = {};
  s.datasets["/edge_index"][0][5] = -1;
  EXPECT_EQ(error_of(s), "d.h5: /edge_index: node id -1 in column 5 is out of range [0, 5)");
  s = {};
  s.datasets["/edge_index"][0][4] = 1;  // an edge of graph 1 (nodes 3-4) from node 1
  EXPECT_EQ(error_of(s), "d.h5: /edge_index: node id 1 in column 4 lies outside graph 1's node range [3, 5)");
}

TEST_F(GraphDatasetTest, BadOffsets) {
  GraphFileSpec s;
  s.datasets["/graph_ptr"] = torch::tensor({1, 3, 5}, torch::kInt64);
  EXPECT_EQ(error_of(s), "d.h5: /graph_ptr: expected first entry 0, got 1");
  s = {};
  s.datasets["/graph_ptr"] = torch::tensor({0, 6, 5}, torch::kInt64);
  EXPECT_EQ(error_of(s), "d.h5: /graph_ptr: expected non-decreasing entries, got 6 then 5 at entries 1 and 2");
  s = {};
  s.datasets["/graph_ptr"] = torch::tensor({0, 3, 4}, torch::kInt64);
  EXPECT_EQ(error_of(s), "d.h5: /graph_ptr: expected last entry 5 (the number of nodes), got 4");
  s = {};
  s.datasets["/graph_ptr"] = torch::tensor({0}, torch::kInt64);
  EXPECT_EQ(error_of(s), "d.h5: /graph_ptr: expected shape [G + 1] with G >= 1, got [1]");
  s = {};
  s.datasets["/edge_ptr"] = torch::tensor({0, 4, 5}, torch::kInt64);
  EXPECT_EQ(error_of(s), "d.h5: /edge_ptr: expected last entry 6 (the number of edges), got 5");
}

TEST_F(GraphDatasetTest, BadSplits) {
  GraphFileSpec s;
  s.datasets["/splits/val"] = torch::tensor({2}, torch::kInt64);
  EXPECT_EQ(error_of(s), "d.h5: /splits/val: graph id 2 at entry 0 is out of range [0, 2)");
  s = {};
  s.node_splits().datasets["/splits/test"] = torch::tensor({2, 5}, torch::kInt64);
  EXPECT_EQ(error_of(s), "d.h5: /splits/test: node id 5 at entry 1 is out of range [0, 5)");
  s = {};
  s.split_levels["/splits/train"] = std::nullopt;
  EXPECT_EQ(error_of(s), "d.h5: /splits/train: attribute level: missing");
  s = {};
  s.split_levels["/splits/train"] = "edge";
  EXPECT_EQ(error_of(s), "d.h5: /splits/train: attribute level: expected 'graph' or 'node', got 'edge'");
  s = {};
  s.split_levels["/splits/test"] = "node";
  EXPECT_EQ(error_of(s), "d.h5: /splits/test: attribute level: expected 'graph' like /splits/train, got 'node'");
  s = {};
  s.datasets["/splits/val"] = torch::zeros({1, 1}, torch::kInt64);
  EXPECT_EQ(error_of(s), "d.h5: /splits/val: expected 1 dimensions, got shape [1, 1]");
}

TEST_F(GraphDatasetTest, ReadsFilesWrittenByThePythonTools) {
  const auto d = load_graph_dataset(std::string(GAT_TEST_DATA) + "/inductive.h5");
  EXPECT_EQ(d.task, gat::data::Task::kMultilabel);
  EXPECT_EQ(d.train.level, gat::data::SplitLevel::kGraph);
  EXPECT_EQ(d.num_graphs(), 6);
}

}  // namespace
