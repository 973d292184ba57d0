// The HDF5 reader: valid files round-trip; each broken rule gets its exact one-line error.
#include "data/graph_dataset.h"

#include <gtest/gtest.h>
#include <hdf5.h>
#include <sys/stat.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "common/memory_limit.h"
#include "data/h5_file.h"
#include "support/error_of.h"
#include "support/graph_file.h"

using gat::data::H5File;
using gat::data::load_graph_dataset;
using gat::data::SplitLevel;
using gat::data::Task;
using gat::testing::GraphFileSpec;
using gat::testing::TempDir;

namespace {

class GraphDatasetTest : public ::testing::Test {
 protected:
  std::string file() const { return dir_.file("d.h5"); }

  // The error that loading `path` gives, with `path` replaced by "d.h5"; every message must be
  // one line that starts with the path.
  static std::string error_of(const std::string& path) {
    try {
      load_graph_dataset(path);
    } catch (const gat::Error& e) {
      const std::string what = e.what();
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
      EXPECT_EQ(what.rfind(path + ": ", 0), 0u) << what;
      return "d.h5" + what.substr(path.size());
    }
    return "no error";
  }

  std::string error_of(const GraphFileSpec& spec) const {
    gat::testing::write_graph_file(file(), spec);
    return error_of(file());
  }

  // Loads `spec` and checks that every tensor came back exactly as written.
  gat::data::GraphDataset round_trip(const GraphFileSpec& spec) const {
    gat::testing::write_graph_file(file(), spec);
    auto d = load_graph_dataset(file());
    EXPECT_EQ(d.path, file());
    const std::vector<std::pair<std::string, torch::Tensor>> read = {
        {"/features", d.features},   {"/labels", d.labels},       {"/edge_index", d.edge_index},
        {"/graph_ptr", d.graph_ptr}, {"/edge_ptr", d.edge_ptr},   {"/splits/train", d.train.ids},
        {"/splits/val", d.val.ids},  {"/splits/test", d.test.ids}};
    for (const auto& [name, tensor] : read) {
      const torch::Tensor& written = spec.datasets.at(name);
      EXPECT_EQ(tensor.scalar_type(), written.scalar_type()) << name;
      EXPECT_TRUE(tensor.equal(written)) << name;
    }
    return d;
  }

  TempDir dir_;
};

TEST_F(GraphDatasetTest, MulticlassWithGraphSplitsRoundTrips) {
  const auto d = round_trip(GraphFileSpec());
  EXPECT_EQ(d.task, Task::kMulticlass);
  EXPECT_EQ(d.num_classes, 3);
  EXPECT_EQ(d.num_nodes(), 5);
  EXPECT_EQ(d.num_features(), 2);
  EXPECT_EQ(d.num_edges(), 6);
  EXPECT_EQ(d.num_graphs(), 2);
  for (const auto* split : {&d.train, &d.val, &d.test}) EXPECT_EQ(split->level, SplitLevel::kGraph);
}

TEST_F(GraphDatasetTest, MultilabelWithNodeSplitsRoundTrips) {
  GraphFileSpec spec;
  spec.multilabel().node_splits();
  const auto d = round_trip(spec);
  EXPECT_EQ(d.task, Task::kMultilabel);
  EXPECT_EQ(d.num_classes, 3);
  for (const auto* split : {&d.train, &d.val, &d.test}) EXPECT_EQ(split->level, SplitLevel::kNode);
}

TEST_F(GraphDatasetTest, NoEdgesRoundTrips) {
  GraphFileSpec spec;
  spec.datasets["/edge_index"] = torch::zeros({2, 0}, torch::kInt64);
  spec.datasets["/edge_ptr"] = torch::zeros({3}, torch::kInt64);
  EXPECT_EQ(round_trip(spec).num_edges(), 0);
}

TEST_F(GraphDatasetTest, EmptyGraphAndEmptySplitAreValid) {
  GraphFileSpec spec;
  spec.datasets["/graph_ptr"] = torch::tensor({0, 3, 3, 5}, torch::kInt64);
  spec.datasets["/edge_ptr"] = torch::tensor({0, 4, 4, 6}, torch::kInt64);
  spec.datasets["/splits/val"] = torch::zeros({0}, torch::kInt64);
  spec.datasets["/splits/test"] = torch::tensor({1, 2}, torch::kInt64);
  EXPECT_EQ(round_trip(spec).num_graphs(), 3);
}

TEST_F(GraphDatasetTest, FixedLengthStringsAreRead) {
  GraphFileSpec spec;
  spec.root_attributes.erase("format");
  spec.root_attributes.erase("task");
  spec.split_levels["/splits/val"] = std::nullopt;
  gat::testing::write_graph_file(file(), spec);
  {
    H5File h5(file(), H5File::Mode::kReadWrite);
    const auto fixed = H5File::StringType::kFixed;
    h5.write_attribute("/", "format", "gat-graphs", fixed);
    h5.write_attribute("/", "task", std::string("multiclass\0\0\0", 13), fixed);  // NUL-padded
    h5.write_attribute("/splits/val", "level", "graph", fixed);
  }
  const auto d = load_graph_dataset(file());
  EXPECT_EQ(d.task, Task::kMulticlass);
  EXPECT_EQ(d.val.level, SplitLevel::kGraph);
}

TEST_F(GraphDatasetTest, ReadsFilesWrittenByThePythonTools) {
  const auto d = load_graph_dataset(std::string(GAT_TEST_DATA) + "/inductive.h5");
  EXPECT_EQ(d.task, Task::kMultilabel);
  EXPECT_EQ(d.train.level, SplitLevel::kGraph);
  EXPECT_EQ(d.num_graphs(), 6);
}

// PPI's size (57k nodes, 1.3M edge columns, 24 graphs) round-trips; its load time is for
// benchmarks to report, never asserted here.
TEST_F(GraphDatasetTest, LoadsAPpiSizedFile) {
  constexpr int64_t kGraphs = 24, kNodesPerGraph = 2500, kEdgesPerGraph = 54'000, kClasses = 121;
  constexpr int64_t n = kGraphs * kNodesPerGraph, e = kGraphs * kEdgesPerGraph;
  torch::manual_seed(0);
  GraphFileSpec spec;
  spec.multilabel().root_attributes["num_classes"] = kClasses;
  spec.datasets["/features"] = torch::randn({n, 50});
  spec.datasets["/labels"] = torch::randint(0, 2, {n, kClasses}, torch::kUInt8);
  const torch::Tensor first_node =
      torch::arange(kGraphs, torch::kInt64).repeat_interleave(kEdgesPerGraph) * kNodesPerGraph;
  spec.datasets["/edge_index"] = torch::randint(0, kNodesPerGraph, {2, e}, torch::kInt64) + first_node;
  spec.datasets["/graph_ptr"] = torch::arange(kGraphs + 1, torch::kInt64) * kNodesPerGraph;
  spec.datasets["/edge_ptr"] = torch::arange(kGraphs + 1, torch::kInt64) * kEdgesPerGraph;
  spec.datasets["/splits/train"] = torch::arange(20, torch::kInt64);
  spec.datasets["/splits/val"] = torch::tensor({20, 21}, torch::kInt64);
  spec.datasets["/splits/test"] = torch::tensor({22, 23}, torch::kInt64);
  gat::testing::write_graph_file(file(), spec);

  const auto d = load_graph_dataset(file());
  EXPECT_EQ(d.num_edges(), e);
  EXPECT_TRUE(d.edge_index.equal(spec.datasets["/edge_index"]));
  EXPECT_TRUE(d.labels.equal(spec.datasets["/labels"]));
}

TEST_F(GraphDatasetTest, MissingFile) { EXPECT_EQ(error_of(dir_.file("none.h5")), "d.h5: no such file"); }

TEST_F(GraphDatasetTest, NotHdf5) {
  std::ofstream(file()) << "not hdf5";
  EXPECT_EQ(error_of(file()), "d.h5: not an HDF5 file");
  std::ofstream{file()};  // empty
  EXPECT_EQ(error_of(file()), "d.h5: not an HDF5 file");
}

TEST_F(GraphDatasetTest, UnreadableHdf5) {
  // A truncated file still has the signature; HDF5's own reason is kept.
  gat::testing::write_graph_file(file(), GraphFileSpec());
  std::filesystem::resize_file(file(), 1000);
  const std::string error = error_of(file());
  EXPECT_EQ(error.rfind("d.h5: cannot open as HDF5: H5Fopen failed (truncated file: eof = 1000", 0), 0u) << error;
}

// Looked at before HDF5 opens them: a FIFO would block the open, a directory got HDF5's raw stack.
TEST_F(GraphDatasetTest, ADirectoryOrAFifoIsNotOpened) {
  std::filesystem::create_directory(file());
  EXPECT_EQ(error_of(file()), "d.h5: expected an HDF5 file, got a directory");
  const std::string fifo = dir_.file("fifo.h5");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(error_of(fifo), "d.h5: expected an HDF5 file, got a FIFO (named pipe)");
}

TEST_F(GraphDatasetTest, RootAttributeMissing) {
  for (const char* name : {"format", "version", "task", "num_classes"}) {
    GraphFileSpec s;
    s.root_attributes.erase(name);
    EXPECT_EQ(error_of(s), std::string("d.h5: /: attribute ") + name + ": missing");
  }
}

TEST_F(GraphDatasetTest, RootAttributeWrongValue) {
  GraphFileSpec s;
  s.root_attributes["format"] = std::string("other");
  EXPECT_EQ(error_of(s), "d.h5: /: attribute format: expected 'gat-graphs', got 'other'");
  s = {};
  s.root_attributes["format"] = std::string("gat\ngraphs\t'");  // shown escaped, on one line
  EXPECT_EQ(error_of(s), R"(d.h5: /: attribute format: expected 'gat-graphs', got 'gat\ngraphs\x09\'')");
  s = {};
  s.root_attributes["format"] = std::string(100, 'x');
  EXPECT_EQ(error_of(s), "d.h5: /: attribute format: expected 'gat-graphs', got '" + std::string(64, 'x') + "...'");
  s = {};
  s.root_attributes["version"] = int64_t{3};
  EXPECT_EQ(error_of(s), "d.h5: /: attribute version: expected 1 or 2, got 3");
  s = {};
  s.root_attributes["task"] = std::string("regression");
  EXPECT_EQ(error_of(s), "d.h5: /: attribute task: expected 'multiclass' or 'multilabel', got 'regression'");
  s = {};
  s.root_attributes["num_classes"] = int64_t{0};
  EXPECT_EQ(error_of(s), "d.h5: /: attribute num_classes: expected > 0, got 0");
  s = {};
  s.root_attributes["num_classes"] = int64_t{-3};
  EXPECT_EQ(error_of(s), "d.h5: /: attribute num_classes: expected > 0, got -3");
}

TEST_F(GraphDatasetTest, RootAttributeWrongType) {
  GraphFileSpec s;
  s.root_attributes["format"] = int64_t{1};
  EXPECT_EQ(error_of(s), "d.h5: /: attribute format: expected a string, got int64");
  s = {};
  s.root_attributes["version"] = std::string("1");
  EXPECT_EQ(error_of(s), "d.h5: /: attribute version: expected an integer, got string");
  s = {};
  s.root_attributes["task"] = int64_t{0};
  EXPECT_EQ(error_of(s), "d.h5: /: attribute task: expected a string, got int64");
  s = {};
  s.root_attributes["num_classes"] = std::string("3");
  EXPECT_EQ(error_of(s), "d.h5: /: attribute num_classes: expected an integer, got string");
}

TEST_F(GraphDatasetTest, DatasetMissing) {
  for (const char* name : {"/features", "/labels", "/edge_index", "/graph_ptr", "/edge_ptr", "/splits/train",
                           "/splits/val", "/splits/test"}) {
    GraphFileSpec s;
    s.datasets.erase(name);
    EXPECT_EQ(error_of(s), std::string("d.h5: ") + name + ": missing");
  }
  GraphFileSpec s;
  for (const char* name : {"/splits/train", "/splits/val", "/splits/test"}) s.datasets.erase(name);
  EXPECT_EQ(error_of(s), "d.h5: /splits: missing");
}

TEST_F(GraphDatasetTest, GroupInsteadOfDataset) {
  GraphFileSpec s;
  s.datasets.erase("/features");
  gat::testing::write_graph_file(file(), s);
  H5File(file(), H5File::Mode::kReadWrite).create_group("/features");
  EXPECT_EQ(error_of(file()), "d.h5: /features: expected a dataset, got a group");
}

TEST_F(GraphDatasetTest, WrongDtype) {
  const auto error_with = [&](const char* name, torch::Dtype dtype, bool multilabel = false) {
    GraphFileSpec s;
    if (multilabel) s.multilabel();
    s.datasets[name] = s.datasets[name].to(dtype);
    return error_of(s);
  };
  EXPECT_EQ(error_with("/features", torch::kFloat64), "d.h5: /features: expected float32, got float64");
  EXPECT_EQ(error_with("/labels", torch::kUInt8), "d.h5: /labels: expected int64, got uint8");
  EXPECT_EQ(error_with("/labels", torch::kInt32), "d.h5: /labels: expected int64, got int32");
  EXPECT_EQ(error_with("/labels", torch::kFloat32, true), "d.h5: /labels: expected uint8, got float32");
  EXPECT_EQ(error_with("/labels", torch::kInt64, true), "d.h5: /labels: expected uint8, got int64");
  EXPECT_EQ(error_with("/edge_index", torch::kFloat32), "d.h5: /edge_index: expected int64, got float32");
  EXPECT_EQ(error_with("/edge_index", torch::kInt32), "d.h5: /edge_index: expected int64, got int32");
  EXPECT_EQ(error_with("/graph_ptr", torch::kInt16), "d.h5: /graph_ptr: expected int64, got int16");
  EXPECT_EQ(error_with("/edge_ptr", torch::kFloat64), "d.h5: /edge_ptr: expected int64, got float64");
  EXPECT_EQ(error_with("/splits/test", torch::kInt8), "d.h5: /splits/test: expected int64, got int8");
}

TEST_F(GraphDatasetTest, WrongShape) {
  GraphFileSpec s;
  s.datasets["/features"] = torch::zeros({5}, torch::kFloat32);
  EXPECT_EQ(error_of(s), "d.h5: /features: expected 2-D, got shape [5]");
  s = {};
  s.datasets["/features"] = torch::zeros({5, 2, 1}, torch::kFloat32);
  EXPECT_EQ(error_of(s), "d.h5: /features: expected 2-D, got shape [5, 2, 1]");
  s = {};
  s.datasets["/features"] = torch::zeros({0, 2}, torch::kFloat32);
  EXPECT_EQ(error_of(s), "d.h5: /features: expected at least one node and one feature, got shape [0, 2]");
  s = {};
  s.datasets["/features"] = torch::zeros({5, 0}, torch::kFloat32);
  EXPECT_EQ(error_of(s), "d.h5: /features: expected at least one node and one feature, got shape [5, 0]");
  s = {};
  s.datasets["/labels"] = torch::zeros({4}, torch::kInt64);
  EXPECT_EQ(error_of(s), "d.h5: /labels: expected shape [5] (one class per node), got [4]");
  s = {};
  s.datasets["/labels"] = torch::zeros({5, 1}, torch::kInt64);
  EXPECT_EQ(error_of(s), "d.h5: /labels: expected 1-D, got shape [5, 1]");
  s = {};
  s.multilabel().datasets["/labels"] = torch::zeros({5, 2}, torch::kUInt8);
  EXPECT_EQ(error_of(s), "d.h5: /labels: expected shape [5, 3] (nodes x num_classes), got [5, 2]");
  s = {};
  s.multilabel().datasets["/labels"] = torch::zeros({4, 3}, torch::kUInt8);
  EXPECT_EQ(error_of(s), "d.h5: /labels: expected shape [5, 3] (nodes x num_classes), got [4, 3]");
  s = {};
  s.datasets["/edge_index"] = torch::zeros({3, 6}, torch::kInt64);
  EXPECT_EQ(error_of(s), "d.h5: /edge_index: expected shape [2, E], got [3, 6]");
  s = {};
  s.datasets["/edge_index"] = torch::zeros({12}, torch::kInt64);
  EXPECT_EQ(error_of(s), "d.h5: /edge_index: expected 2-D, got shape [12]");
  s = {};
  s.datasets["/graph_ptr"] = torch::tensor({0}, torch::kInt64);
  EXPECT_EQ(error_of(s), "d.h5: /graph_ptr: expected shape [G + 1] with G >= 1, got [1]");
  s = {};
  s.datasets["/graph_ptr"] = torch::tensor({{0, 3, 5}}, torch::kInt64);
  EXPECT_EQ(error_of(s), "d.h5: /graph_ptr: expected 1-D, got shape [1, 3]");
  s = {};
  s.datasets["/edge_ptr"] = torch::tensor({0, 6}, torch::kInt64);
  EXPECT_EQ(error_of(s), "d.h5: /edge_ptr: expected shape [3] (like /graph_ptr), got [2]");
  s = {};
  s.datasets["/splits/val"] = torch::zeros({1, 1}, torch::kInt64);
  EXPECT_EQ(error_of(s), "d.h5: /splits/val: expected 1-D, got shape [1, 1]");
}

TEST_F(GraphDatasetTest, NonFiniteFeatures) {
  GraphFileSpec s;
  s.datasets["/features"][2][1] = NAN;
  EXPECT_EQ(error_of(s), "d.h5: /features: expected finite values, got nan at row 2, column 1");
  s = {};
  s.datasets["/features"][0][0] = INFINITY;
  EXPECT_EQ(error_of(s), "d.h5: /features: expected finite values, got inf at row 0, column 0");
  s = {};
  s.datasets["/features"][4][1] = -INFINITY;
  EXPECT_EQ(error_of(s), "d.h5: /features: expected finite values, got -inf at row 4, column 1");
}

TEST_F(GraphDatasetTest, LabelOutOfRange) {
  GraphFileSpec s;
  s.datasets["/labels"][3] = 3;
  EXPECT_EQ(error_of(s), "d.h5: /labels: class 3 of node 3 is out of range [0, 3)");
  s = {};
  s.datasets["/labels"][0] = -1;
  EXPECT_EQ(error_of(s), "d.h5: /labels: class -1 of node 0 is out of range [0, 3)");
  s = {};
  s.multilabel().datasets["/labels"][4][2] = 2;
  EXPECT_EQ(error_of(s), "d.h5: /labels: expected 0 or 1, got 2 at node 4, label 2");
}

TEST_F(GraphDatasetTest, NodeIdOutOfRange) {
  GraphFileSpec s;
  s.datasets["/edge_index"][1][3] = 9;
  EXPECT_EQ(error_of(s), "d.h5: /edge_index: node id 9 in column 3 is out of range [0, 5)");
  s = {};
  s.datasets["/edge_index"][1][3] = 5;
  EXPECT_EQ(error_of(s), "d.h5: /edge_index: node id 5 in column 3 is out of range [0, 5)");
  s = {};
  s.datasets["/edge_index"][0][5] = -1;
  EXPECT_EQ(error_of(s), "d.h5: /edge_index: node id -1 in column 5 is out of range [0, 5)");
}

TEST_F(GraphDatasetTest, EdgeCrossesGraphs) {
  GraphFileSpec s;
  s.datasets["/edge_index"][0][4] = 1;  // an edge of graph 1 (nodes 3-4) from node 1
  EXPECT_EQ(error_of(s), "d.h5: /edge_index: node id 1 in column 4 lies outside graph 1's node range [3, 5)");
  s = {};
  s.datasets["/edge_index"][1][0] = 3;  // an edge of graph 0 (nodes 0-2) to node 3
  EXPECT_EQ(error_of(s), "d.h5: /edge_index: node id 3 in column 0 lies outside graph 0's node range [0, 3)");
  s = {};
  s.datasets["/edge_ptr"] = torch::tensor({0, 5, 6}, torch::kInt64);  // column 4 moves to graph 0
  EXPECT_EQ(error_of(s), "d.h5: /edge_index: node id 3 in column 4 lies outside graph 0's node range [0, 3)");
}

TEST_F(GraphDatasetTest, BadGraphPtr) {
  GraphFileSpec s;
  s.datasets["/graph_ptr"] = torch::tensor({1, 3, 5}, torch::kInt64);
  EXPECT_EQ(error_of(s), "d.h5: /graph_ptr: expected first entry 0, got 1");
  s = {};
  s.datasets["/graph_ptr"] = torch::tensor({0, 6, 5}, torch::kInt64);
  EXPECT_EQ(error_of(s), "d.h5: /graph_ptr: expected non-decreasing entries, got 6 then 5 at entries 1 and 2");
  s = {};
  s.datasets["/graph_ptr"] = torch::tensor({0, 3, 4}, torch::kInt64);
  EXPECT_EQ(error_of(s), "d.h5: /graph_ptr: expected last entry 5 (the number of nodes), got 4");
}

TEST_F(GraphDatasetTest, BadEdgePtr) {
  GraphFileSpec s;
  s.datasets["/edge_ptr"] = torch::tensor({0, 4, 5}, torch::kInt64);
  EXPECT_EQ(error_of(s), "d.h5: /edge_ptr: expected last entry 6 (the number of edges), got 5");
  s = {};
  s.datasets["/edge_ptr"] = torch::tensor({2, 4, 6}, torch::kInt64);
  EXPECT_EQ(error_of(s), "d.h5: /edge_ptr: expected first entry 0, got 2");
  s = {};
  s.datasets["/edge_ptr"] = torch::tensor({0, 7, 6}, torch::kInt64);
  EXPECT_EQ(error_of(s), "d.h5: /edge_ptr: expected non-decreasing entries, got 7 then 6 at entries 1 and 2");
}

TEST_F(GraphDatasetTest, SplitIdOutOfRange) {
  GraphFileSpec s;
  s.datasets["/splits/val"] = torch::tensor({2}, torch::kInt64);
  EXPECT_EQ(error_of(s), "d.h5: /splits/val: graph id 2 at entry 0 is out of range [0, 2)");
  s = {};
  s.datasets["/splits/train"] = torch::tensor({0, -1}, torch::kInt64);
  EXPECT_EQ(error_of(s), "d.h5: /splits/train: graph id -1 at entry 1 is out of range [0, 2)");
  s = {};
  s.node_splits().datasets["/splits/test"] = torch::tensor({2, 5}, torch::kInt64);
  EXPECT_EQ(error_of(s), "d.h5: /splits/test: node id 5 at entry 1 is out of range [0, 5)");
  s = {};
  s.node_splits().datasets["/splits/val"] = torch::tensor({-2}, torch::kInt64);
  EXPECT_EQ(error_of(s), "d.h5: /splits/val: node id -2 at entry 0 is out of range [0, 5)");
}

TEST_F(GraphDatasetTest, SplitLevelMissingOrWrong) {
  GraphFileSpec s;
  s.split_levels["/splits/train"] = std::nullopt;
  EXPECT_EQ(error_of(s), "d.h5: /splits/train: attribute level: missing");
  s = {};
  s.split_levels["/splits/test"] = std::nullopt;
  EXPECT_EQ(error_of(s), "d.h5: /splits/test: attribute level: missing");
  s = {};
  s.split_levels["/splits/train"] = "edge";
  EXPECT_EQ(error_of(s), "d.h5: /splits/train: attribute level: expected 'graph' or 'node', got 'edge'");
  s = {};
  s.split_levels["/splits/val"] = "Graph";
  EXPECT_EQ(error_of(s), "d.h5: /splits/val: attribute level: expected 'graph' or 'node', got 'Graph'");
}

TEST_F(GraphDatasetTest, MixedSplitLevels) {
  GraphFileSpec s;
  s.split_levels["/splits/test"] = "node";
  EXPECT_EQ(error_of(s), "d.h5: /splits/test: attribute level: expected 'graph' like /splits/train, got 'node'");
  s = {};
  s.node_splits().split_levels["/splits/val"] = "graph";
  EXPECT_EQ(error_of(s), "d.h5: /splits/val: attribute level: expected 'node' like /splits/train, got 'graph'");
}

TEST(ToString, NamesTheFormatsValues) {
  EXPECT_STREQ(gat::data::to_string(Task::kMulticlass), "multiclass");
  EXPECT_STREQ(gat::data::to_string(Task::kMultilabel), "multilabel");
  EXPECT_STREQ(gat::data::to_string(SplitLevel::kGraph), "graph");
  EXPECT_STREQ(gat::data::to_string(SplitLevel::kNode), "node");
}

// H5File on its own: what the loader and the data writers build on.
class H5FileTest : public ::testing::Test {
 protected:
  std::string file() const { return dir_.file("x.h5"); }
  TempDir dir_;
};

TEST_F(H5FileTest, EveryElementTypeRoundTrips) {
  const std::vector<torch::Tensor> tensors = {
      torch::tensor({-1, 2}, torch::kInt8),           torch::tensor({-300, 2}, torch::kInt16),
      torch::tensor({-70000, 2}, torch::kInt32),      torch::tensor({{int64_t{-1}}, {int64_t{1} << 40}}, torch::kInt64),
      torch::tensor({0, 255}, torch::kUInt8),         torch::tensor({0.5, -1.5}, torch::kFloat32),
      torch::tensor({1e300, -0.25}, torch::kFloat64), torch::zeros({0, 3}, torch::kFloat32)};
  {
    H5File h5(file(), H5File::Mode::kCreate);
    h5.create_group("/g");
    for (std::size_t i = 0; i < tensors.size(); ++i) h5.write("/g/t" + std::to_string(i), tensors[i]);
    h5.write("/strided", torch::arange(6, torch::kInt64).view({2, 3}).t());
  }
  const H5File h5(file(), H5File::Mode::kRead);
  EXPECT_EQ(h5.dtype("/g/t2"), "int32");
  EXPECT_EQ(h5.shape("/g/t3"), (std::vector<int64_t>{2, 1}));
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const torch::Tensor read = h5.read("/g/t" + std::to_string(i));
    EXPECT_EQ(read.scalar_type(), tensors[i].scalar_type()) << i;
    EXPECT_TRUE(read.equal(tensors[i])) << i;
  }
  EXPECT_TRUE(h5.read("/strided").equal(torch::arange(6, torch::kInt64).view({2, 3}).t()));
}

TEST_F(H5FileTest, AttributesOnRootGroupsAndDatasets) {
  {
    H5File h5(file(), H5File::Mode::kCreate);
    h5.create_group("/g");
    h5.write("/g/d", torch::zeros({1}));
    h5.write_attribute("/", "s", "root");
    h5.write_attribute("/g", "i", int64_t{-7});
    h5.write_attribute("/g/d", "fixed", "", H5File::StringType::kFixed);
    h5.write_attribute("/g/d", "variable", "");
  }
  const H5File h5(file(), H5File::Mode::kRead);
  EXPECT_EQ(h5.string_attribute("/", "s"), "root");
  EXPECT_EQ(h5.int_attribute("/g", "i"), -7);
  EXPECT_EQ(h5.string_attribute("/g/d", "fixed"), "");
  EXPECT_EQ(h5.string_attribute("/g/d", "variable"), "");
  EXPECT_EQ(h5.string_attribute("/g", "none"), std::nullopt);
  EXPECT_EQ(h5.int_attribute("/", "none"), std::nullopt);
}

TEST_F(H5FileTest, HasWalksMissingParents) {
  H5File(file(), H5File::Mode::kCreate).write("/d", torch::zeros({1}));
  const H5File h5(file(), H5File::Mode::kRead);
  EXPECT_TRUE(h5.has("/d"));
  EXPECT_FALSE(h5.has("/e"));
  EXPECT_FALSE(h5.has("/a/b/c"));
}

TEST_F(H5FileTest, ErrorsNameTheFileAndObject) {
  using gat::testing::error_of;
  {
    H5File h5(file(), H5File::Mode::kCreate);
    h5.write("/d", torch::zeros({1}));
    EXPECT_EQ(error_of([&] { h5.write("/b", torch::zeros({1}, torch::kBool)); }),
              file() + ": /b: cannot write elements of type Bool");
    EXPECT_EQ(error_of([&] {
                h5.write("/d", torch::zeros({1}));
              }).rfind(file() + ": /d: cannot write: H5Dcreate2 failed (", 0),
              0u);
    EXPECT_EQ(error_of([&] {
                h5.write_attribute("/nowhere", "a", int64_t{1});
              }).rfind(file() + ": /nowhere: cannot write attribute a: ", 0),
              0u);
  }
  const H5File h5(file(), H5File::Mode::kRead);
  EXPECT_EQ(error_of([&] { h5.read("/missing"); }).rfind(file() + ": /missing: cannot read: ", 0), 0u);
  EXPECT_EQ(error_of([&] {
              H5File(file(), H5File::Mode::kRead).create_group("/g");
            }).rfind(file() + ": /g: cannot create group: ", 0),
            0u);
}

}  // namespace

namespace {

// A dataset as the HDF5 C API lets any writer make it: `dims` of float32, in chunks of `chunk`
// (none: contiguous), gzip-compressed if `gzip`, stored in the external raw file `external` if
// given; the first `written_rows` rows are written (as zeros).
void add_dataset(const std::string& file, const std::string& name, std::vector<hsize_t> dims,
                 std::vector<hsize_t> chunk, hsize_t written_rows, bool gzip = false,
                 const std::string& external = "") {
  const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  const hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  const hid_t create = H5Pcreate(H5P_DATASET_CREATE);
  if (!chunk.empty()) H5Pset_chunk(create, static_cast<int>(chunk.size()), chunk.data());
  if (gzip) H5Pset_deflate(create, 6);
  if (!external.empty()) H5Pset_external(create, external.c_str(), 0, H5F_UNLIMITED);
  const hid_t data = H5Dcreate2(f, name.c_str(), H5T_NATIVE_FLOAT, space, H5P_DEFAULT, create, H5P_DEFAULT);
  ASSERT_GE(data, 0) << name;
  if (written_rows > 0) {
    std::vector<hsize_t> start(dims.size(), 0), count = dims;
    count[0] = written_rows;
    H5Sselect_hyperslab(space, H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr);
    const hid_t memory = H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr);
    hsize_t n = 1;
    for (const hsize_t c : count) n *= c;
    const std::vector<float> zeros(n, 0.0f);
    EXPECT_GE(H5Dwrite(data, H5T_NATIVE_FLOAT, memory, space, H5P_DEFAULT, zeros.data()), 0) << name;
    H5Sclose(memory);
  }
  H5Dclose(data);
  H5Pclose(create);
  H5Sclose(space);
  H5Fclose(f);
}

}  // namespace

// What a header declares is checked against what the file holds and against memory before
// anything is allocated (issue 19, case 6): 10^12 declared rows in a file of a few KB.
TEST_F(H5FileTest, ADatasetIsReadOnlyIfTheFileHoldsAllOfItAndItFitsInMemory) {
  H5File(file(), H5File::Mode::kCreate).write("/small", torch::zeros({1}));
  add_dataset(file(), "/chunked", {1000000000000, 3}, {1000000, 3}, 1, /*gzip=*/true);
  add_dataset(file(), "/contiguous", {2, 1000000000}, {}, 0);
  add_dataset(file(), "/edges_missing", {10, 3}, {4, 3}, 4, /*gzip=*/true);
  add_dataset(file(), "/external", {1000000000000, 3}, {}, 0, false, file() + ".raw");
  add_dataset(file(), "/complete", {10, 3}, {4, 3}, 10, /*gzip=*/true);  // the last chunk is partial
  const H5File h5(file(), H5File::Mode::kRead);
  const auto error_of = [&](const std::string& dataset) { return gat::testing::error_of([&] { h5.read(dataset); }); };
  EXPECT_EQ(error_of("/chunked"), file() +
                                      ": /chunked: declares shape [1000000000000, 3] of float32 (10.9 TiB), "
                                      "but the file holds 1 of its 1000000 chunks: expected every element written");
  EXPECT_EQ(error_of("/contiguous"), file() +
                                         ": /contiguous: declares shape [2, 1000000000] of float32 (7.5 GiB), "
                                         "but the file holds 0 B of it: expected every element written");
  EXPECT_EQ(error_of("/edges_missing"), file() +
                                            ": /edges_missing: declares shape [10, 3] of float32 (120 B), "
                                            "but the file holds 1 of its 3 chunks: expected every element written");
  EXPECT_EQ(error_of("/external"), file() +
                                       ": /external: declares shape [1000000000000, 3] of float32 (10.9 TiB), "
                                       "more than the " +
                                       gat::human_bytes(gat::available_memory_bytes()) + " of memory of this machine");
  EXPECT_TRUE(h5.read("/complete").equal(torch::zeros({10, 3})));
}

TEST(HumanBytes, PicksTheLargestUnitBelowTheSize) {
  EXPECT_EQ(gat::human_bytes(0), "0 B");
  EXPECT_EQ(gat::human_bytes(1023), "1023 B");
  EXPECT_EQ(gat::human_bytes(1024), "1.0 KiB");
  EXPECT_EQ(gat::human_bytes(1.5 * (1 << 20)), "1.5 MiB");
  EXPECT_EQ(gat::human_bytes(12e12), "10.9 TiB");
}
