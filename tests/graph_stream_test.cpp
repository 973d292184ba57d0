// data.load: stream: graphs read one at a time give the batches a file read whole gives, and a bad
// graph is named when it is read, by the caller or by the prefetch thread.
#include "data/graph_stream.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "common/atomic_file.h"
#include "data/batch_source.h"
#include "support/error_of.h"
#include "support/graph_file.h"

namespace {

using gat::data::BatchSource;
using gat::data::BatchSourceOptions;
using gat::data::GraphDataset;
using gat::data::load_graph_dataset;
using gat::testing::error_of;

const std::string kInductive = std::string(GAT_TEST_DATA) + "/inductive.h5";

void expect_same_batch(const gat::data::Batch& a, const gat::data::Batch& b, const std::string& what) {
  EXPECT_TRUE(torch::equal(a.x, b.x)) << what;
  EXPECT_TRUE(torch::equal(a.labels, b.labels)) << what;
  EXPECT_TRUE(torch::equal(a.plan.edge_index, b.plan.edge_index)) << what;
  EXPECT_TRUE(torch::equal(a.plan.target_ptr, b.plan.target_ptr)) << what;
  EXPECT_TRUE(torch::equal(a.plan.source_ptr, b.plan.source_ptr)) << what;
  EXPECT_TRUE(torch::equal(a.plan.by_source, b.plan.by_source)) << what;
  ASSERT_EQ(a.graphs.size(), b.graphs.size()) << what;
  for (std::size_t i = 0; i < a.graphs.size(); ++i) {
    EXPECT_EQ(a.graphs[i].graph, b.graphs[i].graph) << what;
    EXPECT_EQ(a.graphs[i].nodes, b.graphs[i].nodes) << what;
    EXPECT_EQ(a.graphs[i].edges, b.graphs[i].edges) << what;
  }
}

// Plain and chunked gzip files, features as stored and row-normalised, a cache that holds every
// graph and one that holds none: the batches are the in-memory ones, value for value.
TEST(GraphStream, StreamedBatchesAreTheInMemoryOnes) {
  const GraphDataset whole = load_graph_dataset(kInductive);
  for (const std::string file : {"inductive.h5", "inductive_gzip.h5"}) {
    const GraphDataset streamed = load_graph_dataset(std::string(GAT_TEST_DATA) + "/" + file, /*values=*/false);
    ASSERT_TRUE(streamed.streamed);
    EXPECT_FALSE(streamed.features.defined());
    EXPECT_EQ(streamed.num_nodes(), whole.num_nodes());
    EXPECT_EQ(streamed.num_edges(), whole.num_edges());
    EXPECT_EQ(streamed.num_features(), whole.num_features());
    for (const bool normalize : {false, true})
      for (const int64_t cache : {int64_t{1} << 30, int64_t{0}}) {
        BatchSourceOptions options;
        options.normalize_features = normalize;
        options.cache_bytes = cache;
        BatchSource memory(whole, options, torch::kCPU), stream(streamed, options, torch::kCPU);
        const std::string what = file + (normalize ? ", normalised" : "") + ", cache " + std::to_string(cache);
        stream.prefetch({4, 1});
        for (const std::vector<int64_t>& graphs : std::vector<std::vector<int64_t>>{{4, 1}, {0}, {5, 2, 3}, {4, 1}})
          expect_same_batch(stream.graphs_batch(graphs), memory.graphs_batch(graphs), what);
      }
  }
}

// A copy of the inductive file with node id 0 as the source of graph 3's first edge: outside the
// graph's node range, so a whole read refuses the file and a streamed one refuses graph 3 only.
class BadGraph : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::copy_file(kInductive, path_);
    const std::string script = "import h5py; f = h5py.File('" + path_ +
                               "', 'r+'); c = int(f['edge_ptr'][3]); f['edge_index'][0, c] = 0; print(c)";
    ASSERT_EQ(std::system((std::string(GAT_PYTHON) + " -c \"" + script + "\" >" + dir_.file("col")).c_str()), 0);
    col_ = std::stoll(gat::read_whole_file(dir_.file("col")));
    const GraphDataset whole = load_graph_dataset(kInductive);
    lo_ = whole.graph_ptr[3].item<int64_t>(), hi_ = whole.graph_ptr[4].item<int64_t>();
  }
  std::string expected() const {
    return path_ + ": /edge_index: node id 0 in column " + std::to_string(col_) +
           " lies outside graph 3's node range [" + std::to_string(lo_) + ", " + std::to_string(hi_) + ")";
  }
  gat::testing::TempDir dir_;
  const std::string path_ = dir_.file("bad.h5");
  int64_t col_ = 0, lo_ = 0, hi_ = 0;
};

TEST_F(BadGraph, AWholeReadRefusesTheFileAndAStreamedOneTheGraphWhenItIsRead) {
  EXPECT_EQ(error_of([&] { load_graph_dataset(path_); }), expected());
  const GraphDataset streamed = load_graph_dataset(path_, /*values=*/false);  // opens: the rule needs values
  gat::data::GraphStream stream(streamed, {});
  EXPECT_NO_THROW(stream.graph(2));
  EXPECT_EQ(error_of([&] { stream.graph(3); }), expected());
  EXPECT_EQ(error_of([&] { stream.graph(3); }), expected()) << "asked again";
}

TEST_F(BadGraph, APrefetchedBadGraphIsNamedWhenAskedFor) {
  const GraphDataset streamed = load_graph_dataset(path_, /*values=*/false);
  gat::data::GraphStream stream(streamed, {});
  stream.prefetch({3, 2});
  EXPECT_EQ(error_of([&] { stream.graph(3); }), expected());
  EXPECT_NO_THROW(stream.graph(2));
}

TEST(GraphStream, NodeLevelDataIsRefusedOneLine) {
  const std::string path = std::string(GAT_TEST_DATA) + "/synthetic.h5";
  EXPECT_EQ(error_of([&] { load_graph_dataset(path, /*values=*/false); }),
            path +
                ": data.load: stream reads graph-level datasets graph by graph; this one has node-level splits (one "
                "graph that every rank holds whole): use data.load: memory");
}

}  // namespace
