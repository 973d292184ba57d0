// Training end to end on the generated test datasets: results, determinism, run directory.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <limits>

#include "common/atomic_file.h"
#include "common/error.h"
#include "config/config.h"
#include "data/graph_dataset.h"
#include "data/graph_ids.h"
#include "dist/communicator.h"
#include "support/gpu.h"
#include "support/graph_file.h"
#include "train/experiment.h"
#include "train/trainer.h"

namespace fs = std::filesystem;
using gat::config::Config;

namespace {

Config test_config(const std::string& dataset, const std::string& run_dir, std::vector<std::string> overrides = {}) {
  overrides.push_back("train.run_dir=" + run_dir);
  return gat::config::parse_config("data: {path: " + std::string(GAT_TEST_DATA) + "/" + dataset + ".h5}\n" +
                                       "model: {heads: [4, 1], input_dropout: 0.2, dropout: 0.2}\n" +
                                       "train: {epochs: 60, lr: 0.01, patience: 20, threads: 1}\n",
                                   "test.yaml", overrides);
}

std::string read(const fs::path& p) { return gat::read_whole_file(p.string()); }

class TrainTest : public ::testing::Test {
 protected:
  gat::testing::TempDir tmp_;
  fs::path dir_ = tmp_.path();
  gat::dist::LocalCommunicator comm_;
};

TEST_F(TrainTest, TransductiveRunWritesItsDirectoryAndLearns) {
  const Config config = test_config("synthetic", (dir_ / "a").string(), {"train.seeds=2"});
  const auto dataset = gat::data::load_graph_dataset(config.data.path);
  const nlohmann::json r = gat::train::run_experiment(config, dataset, comm_);
  for (const char* key : {"dataset", "task", "metric", "test", "val", "best_epoch", "epochs", "seconds", "world_size",
                          "seeds", "test_mean", "test_std"})
    EXPECT_TRUE(r.contains(key)) << key;
  EXPECT_EQ(r["metric"], "accuracy");
  EXPECT_EQ(r["seeds"].size(), 2u);
  EXPECT_EQ(r["world_size"], 1);
  // Neighbours carry the class here; four balanced classes would give 0.25 by chance.
  EXPECT_GT(r["test"].get<double>(), 0.7);
  const fs::path run = dir_ / "a";
  EXPECT_TRUE(fs::exists(run / "best.pt"));
  EXPECT_EQ(nlohmann::json::parse(read(run / "results.json")), r);
  EXPECT_EQ(gat::config::to_yaml(gat::config::parse_config(read(run / "config.yaml"), "config.yaml")),
            gat::config::to_yaml(config));
  std::ifstream metrics(run / "metrics.jsonl");
  int lines = 0;
  for (std::string line; std::getline(metrics, line); ++lines)
    EXPECT_TRUE(nlohmann::json::parse(line).contains("val_loss"));
  EXPECT_EQ(lines, r["runs"][0]["epochs"].get<int>() + r["runs"][1]["epochs"].get<int>());
  for (const std::string& name : gat::testing::list_dir(run.string()))
    EXPECT_EQ(name.find(".tmp"), std::string::npos) << name;
}

TEST_F(TrainTest, SameSeedSameResultBitForBit) {
  std::vector<nlohmann::json> runs;
  for (const char* name : {"a", "b"}) {
    const Config config = test_config("synthetic", (dir_ / name).string(), {"train.epochs=15"});
    runs.push_back(gat::train::run_experiment(config, gat::data::load_graph_dataset(config.data.path), comm_));
  }
  EXPECT_EQ(runs[0]["test"], runs[1]["test"]);
  EXPECT_EQ(read(dir_ / "a" / "best.pt"), read(dir_ / "b" / "best.pt"));
  // Epoch times differ, every number that the model produced does not.
  std::ifstream a(dir_ / "a" / "metrics.jsonl"), b(dir_ / "b" / "metrics.jsonl");
  for (std::string la, lb; std::getline(a, la) && std::getline(b, lb);) {
    auto ja = nlohmann::json::parse(la), jb = nlohmann::json::parse(lb);
    ja.erase("seconds"), jb.erase("seconds");
    EXPECT_EQ(ja, jb);
  }
}

TEST_F(TrainTest, InductiveMultilabelTrainsOnGraphBatches) {
  const Config config = test_config("inductive", (dir_ / "i").string(), {"train.batch_graphs=2", "train.epochs=5"});
  const auto dataset = gat::data::load_graph_dataset(config.data.path);
  ASSERT_EQ(dataset.train.level, gat::data::SplitLevel::kGraph);
  const nlohmann::json r = gat::train::run_experiment(config, dataset, comm_);
  EXPECT_EQ(r["metric"], "micro_f1");
  EXPECT_EQ(r["task"], "multilabel");
  EXPECT_GT(r["test"].get<double>(), 0.0);
}

std::vector<double> val_losses(const Config& config) {
  const auto dataset = gat::data::load_graph_dataset(config.data.path);
  gat::dist::LocalCommunicator comm;
  gat::train::Trainer trainer(config, dataset, comm);
  std::vector<double> l;
  trainer.fit(0, [&](const gat::train::EpochRecord& e) { l.push_back(e.val_loss); });
  return l;
}

void expect_same_curve(const std::vector<double>& a, const std::vector<double>& b, const char* what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-4 * b[i]) << what << ", epoch " << i;
}

TEST_F(TrainTest, FusedSparseAndDenseAttentionTrainAlike) {
  // The implementations differ only by rounding, epoch after epoch. Without dropout all three;
  // with dropout, fused and sparse draw the same masks from one seed.
  auto curve = [&](const std::string& impl, const std::string& dropout) {
    return val_losses(test_config(
        "synthetic", (dir_ / (impl + dropout)).string(),
        {"model.attention=" + impl, "model.dropout=" + dropout, "model.input_dropout=" + dropout, "train.epochs=10"}));
  };
  const std::vector<double> dense = curve("dense", "0");
  expect_same_curve(curve("sparse", "0"), dense, "sparse vs dense");
  expect_same_curve(curve("fused", "0"), dense, "fused vs dense");
  expect_same_curve(curve("fused", "0.5"), curve("sparse", "0.5"), "fused vs sparse with dropout");
}

TEST_F(TrainTest, TwentyStepsOnAGpuMatchTheCpu) {
  GAT_SKIP_WITHOUT(torch::kCUDA);
  const Config config =
      test_config("inductive", (dir_ / "cuda").string(), {"model.input_dropout=0", "model.dropout=0"});
  const auto dataset = gat::data::load_graph_dataset(config.data.path);
  const std::vector<int64_t> graphs = gat::data::graph_ids(dataset.train);
  auto parameters_after_20_steps = [&](torch::Device device) {
    gat::train::Trainer trainer(config, dataset, comm_, device);
    trainer.reset(0);
    for (std::size_t step = 0; step < 20; ++step) trainer.train_step({graphs[step % graphs.size()]}, 1);
    std::vector<torch::Tensor> flat;
    for (const auto& p : trainer.model()->parameters()) flat.push_back(p.detach().reshape(-1).cpu());
    return torch::cat(flat);
  };
  const torch::Tensor cpu = parameters_after_20_steps(torch::kCPU);
  const torch::Tensor gpu = parameters_after_20_steps(torch::kCUDA);
  EXPECT_LT(((gpu - cpu).abs().max() / cpu.abs().max()).item<double>(), 1e-4);
}

// A learning rate of 1e30 sends every weight to about +-1e30 in Adam's first step; the second
// step's activations overflow, and its loss is NaN.
std::vector<std::string> diverging(std::vector<std::string> more) {
  more.insert(more.end(), {"train.lr=1e30", "train.batch_graphs=1", "train.epochs=3"});
  return more;
}

TEST_F(TrainTest, NonFiniteLossStopsTheRunNamingSeedEpochAndStep) {
  const Config config = test_config("inductive", (dir_ / "nan").string(), diverging({}));
  const auto dataset = gat::data::load_graph_dataset(config.data.path);
  gat::train::Trainer trainer(config, dataset, comm_);
  try {
    trainer.fit(0, [](const gat::train::EpochRecord&) {});
    FAIL() << "expected an error";
  } catch (const gat::Diverged& e) {
    EXPECT_STREQ(e.what(),
                 "seed 0 epoch 1 step 2: the loss is NaN or Inf (train.on_nonfinite: skip would drop the step)");
  }
}

TEST_F(TrainTest, SkippedNonFiniteStepsLeaveTheParametersFiniteAndAreCounted) {
  const Config config = test_config("inductive", (dir_ / "skip").string(), diverging({"train.on_nonfinite=skip"}));
  const auto dataset = gat::data::load_graph_dataset(config.data.path);
  gat::train::Trainer trainer(config, dataset, comm_);
  const gat::train::SeedResult r = trainer.fit(0, [](const gat::train::EpochRecord&) {});
  const int64_t steps_per_epoch = dataset.train.ids.size(0);  // one graph a step
  EXPECT_EQ(r.epochs, 3);
  EXPECT_EQ(r.skipped_steps, 3 * steps_per_epoch - 1);  // every step after the first
  for (const auto& p : trainer.model()->named_parameters())
    EXPECT_TRUE(torch::isfinite(p.value()).all().item<bool>()) << p.key();
}

TEST_F(TrainTest, NonFiniteGradientNamesTheFirstParameterInModelOrder) {
  const Config config = test_config("inductive", (dir_ / "g").string());
  const auto dataset = gat::data::load_graph_dataset(config.data.path);
  gat::train::Trainer trainer(config, dataset, comm_);
  trainer.reset(0);
  auto params = trainer.model()->named_parameters();
  for (auto& p : params) p.value().mutable_grad() = torch::zeros_like(p.value());
  EXPECT_EQ(trainer.nonfinite_gradient(), "");
  params["layers.1.att_dst"].mutable_grad()[0][0][0] = INFINITY;
  params["layers.0.lin.weight"].mutable_grad()[3][1] = NAN;
  EXPECT_EQ(trainer.nonfinite_gradient(), "the gradient of layers.0.lin.weight");
  params["layers.0.lin.weight"].mutable_grad().zero_();
  EXPECT_EQ(trainer.nonfinite_gradient(), "the gradient of layers.1.att_dst");
  // Infinities of both signs, and float32's largest values everywhere (finite, though their float32
  // sum would overflow).
  params["layers.1.att_dst"].mutable_grad().zero_();
  params["layers.0.lin.weight"].mutable_grad().fill_(std::numeric_limits<float>::max());
  EXPECT_EQ(trainer.nonfinite_gradient(), "");
  params["layers.0.att_src"].mutable_grad()[0][0][0] = INFINITY;
  params["layers.0.att_src"].mutable_grad()[0][0][1] = -INFINITY;
  EXPECT_EQ(trainer.nonfinite_gradient(), "the gradient of layers.0.att_src");
}

}  // namespace
