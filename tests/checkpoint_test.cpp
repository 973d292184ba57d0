// Checkpoint and model files: their checksum, the checks on what they hold, and the data fingerprint.
#include <gtest/gtest.h>

#include <fstream>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/sealed_zip.h"
#include "config/config.h"
#include "data/dataset_fingerprint.h"
#include "dist/communicator.h"
#include "model/gat.h"
#include "support/error_of.h"
#include "support/graph_file.h"
#include "train/checkpoint.h"
#include "train/model_file.h"
#include "train/options_from_config.h"

namespace {

const std::string kNoChecksum = "no checksum at its end (cut short, or not written by this version of gat_train)";
const std::string kCorrupt = "fails its checksum (the file is corrupt)";

void write(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

using gat::testing::error_of;

gat::data::GraphDataset small_dataset(bool multilabel = false) {
  gat::testing::TempDir dir;
  gat::testing::GraphFileSpec spec;
  if (multilabel) spec.multilabel();
  gat::testing::write_graph_file(dir.file("d.h5"), spec);
  return gat::data::load_graph_dataset(dir.file("d.h5"));
}

gat::model::GAT small_gat(const gat::data::GraphDataset& d, bool bias = true) {
  gat::config::ModelConfig m;
  m.heads = {2, 1};
  m.hidden = {4};
  m.bias = bias;
  torch::manual_seed(7);
  return gat::model::GAT(
      gat::train::gat_options_from_config(m, gat::Precision::kFp32, d.num_features(), d.num_classes));
}

std::vector<torch::Tensor> parameters(gat::model::GAT& model) {
  std::vector<torch::Tensor> out;
  for (const auto& p : model->parameters()) out.push_back(p.detach().clone());
  return out;
}

bool all_equal(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!torch::equal(a[i], b[i])) return false;
  return true;
}

class ModelFile : public ::testing::Test {
 protected:
  gat::testing::TempDir dir_;
  gat::data::GraphDataset data_ = small_dataset();
};

// README promises that best.pt is torch::load-able into a gat::model::GAT: the checksum (the
// zip's comment) and the task (one more key) must not get in its way.
TEST_F(ModelFile, ASavedModelLoadsWithTorchLoadAndWithLoadModel) {
  gat::model::GAT saved = small_gat(data_);
  const std::string path = dir_.file("best.pt");
  gat::train::save_model(*saved, data_.task, path);
  EXPECT_EQ(gat::sealed_zip_problem(gat::read_whole_file(path)), std::nullopt);
  gat::model::GAT by_torch = small_gat(data_), by_us = small_gat(data_);
  for (auto& p : by_torch->parameters()) p.data().zero_();
  for (auto& p : by_us->parameters()) p.data().zero_();
  torch::load(by_torch, path);
  gat::train::load_model(*by_us, path, data_);
  EXPECT_TRUE(all_equal(parameters(by_torch), parameters(saved)));
  EXPECT_TRUE(all_equal(parameters(by_us), parameters(saved)));
}

// Every single flipped byte, wherever it is, is caught before LibTorch parses the file.
TEST_F(ModelFile, EveryFlippedByteIsRefusedAndNoneIsLoaded) {
  gat::model::GAT saved = small_gat(data_);
  const std::string path = dir_.file("best.pt");
  gat::train::save_model(*saved, data_.task, path);
  const std::string good = gat::read_whole_file(path);
  for (std::size_t at = 0; at < good.size(); ++at) {
    std::string bad = good;
    bad[at] = static_cast<char>(bad[at] ^ 0x01);
    const auto problem = gat::sealed_zip_problem(bad);
    ASSERT_TRUE(problem.has_value()) << "byte " << at << " of " << good.size();
    // The last 28 bytes are the seal: a flip there garbles it or changes the checksum it states.
    if (at < good.size() - 28) EXPECT_EQ(*problem, kCorrupt) << "byte " << at;
  }
  std::string bad = good;
  bad[good.size() / 2] ^= 0x40;
  write(path, bad);
  gat::model::GAT model = small_gat(data_);
  EXPECT_EQ(error_of([&] { gat::train::load_model(*model, path, data_); }), path + ": " + kCorrupt);
  write(path, good.substr(0, good.size() - 1));
  EXPECT_EQ(error_of([&] { gat::train::load_model(*model, path, data_); }), path + ": " + kNoChecksum);
}

TEST_F(ModelFile, ASavedParameterTheModelLacksIsRefusedNamingIt) {
  gat::model::GAT with_bias = small_gat(data_, /*bias=*/true);
  const std::string path = dir_.file("best.pt");
  gat::train::save_model(*with_bias, data_.task, path);
  gat::model::GAT without = small_gat(data_, /*bias=*/false);
  EXPECT_EQ(error_of([&] { gat::train::load_model(*without, path, data_); }),
            path + ": layers.0.bias: saved, but the model of the config has no such parameter");
}

TEST_F(ModelFile, AParameterOfAnotherDtypeIsRefusedNamingIt) {
  gat::model::GAT saved = small_gat(data_);
  saved->layers[0]->as<gat::model::GATConvImpl>()->att_src.set_data(torch::zeros({1, 2, 4}, torch::kFloat64));
  const std::string path = dir_.file("best.pt");
  gat::train::save_model(*saved, data_.task, path);
  gat::model::GAT model = small_gat(data_);
  EXPECT_EQ(error_of([&] { gat::train::load_model(*model, path, data_); }),
            path + ": layers.0.att_src: expected Float values, got Double");
}

TEST_F(ModelFile, AModelOfAnotherTaskIsRefusedNamingBoth) {
  gat::model::GAT model = small_gat(data_);
  const std::string path = dir_.file("best.pt");
  gat::train::save_model(*model, data_.task, path);
  const gat::data::GraphDataset multilabel = small_dataset(/*multilabel=*/true);
  ASSERT_EQ(multilabel.num_classes, data_.num_classes);  // same shapes: only the task tells them apart
  EXPECT_EQ(error_of([&] { gat::train::load_model(*model, path, multilabel); }),
            path + ": a model for a multiclass task, but " + multilabel.path + " is multilabel");
}

TEST(DatasetFingerprint, ChangesWithAnyValueButNotWithThePath) {
  gat::data::GraphDataset a = small_dataset();
  gat::data::GraphDataset b = a;
  b.path = "/elsewhere/copy.h5";
  const std::string fingerprint = gat::data::content_fingerprint(a);
  EXPECT_EQ(fingerprint.size(), 16u);
  EXPECT_EQ(gat::data::content_fingerprint(b), fingerprint);
  b.features = a.features.clone();
  b.features[4][1] += 1;
  EXPECT_NE(gat::data::content_fingerprint(b), fingerprint);
  b = a;
  b.val.ids = a.test.ids.clone().fill_(0);
  EXPECT_NE(gat::data::content_fingerprint(b), fingerprint);
  b = a;
  b.labels = a.labels.clone();
  b.labels[0] = (b.labels[0].item<int64_t>() + 1) % a.num_classes;
  EXPECT_NE(gat::data::content_fingerprint(b), fingerprint);
}

class CheckpointFile : public ::testing::Test {
 protected:
  // A checkpoint file's bytes whose progress is at `epoch`.
  std::string checkpoint(int64_t epoch, const std::string& key = "the key\n") {
    gat::train::RunProgress progress;
    progress.results = torch::zeros({2, 8}, torch::kFloat64);
    progress.best_params = {torch::ones({3, 2})};
    progress.fit.epoch = epoch;
    progress.fit.order = {2, 0, 1};
    progress.fit.shuffle_rng = "123 456";
    progress.fit.kept = {torch::full({3, 2}, 0.5)};
    torch::serialize::OutputArchive archive;
    gat::train::write_progress(archive, key, progress);
    return gat::train::checkpoint_bytes(archive);
  }
  std::optional<gat::train::LoadedCheckpoint> load() {
    return gat::train::load_checkpoint(dir_.path(), "the key\n", torch::kCPU, comm_);
  }
  gat::testing::TempDir dir_;
  gat::dist::LocalCommunicator comm_;
};

TEST_F(CheckpointFile, ReadsBackWhatWasWritten) {
  const auto loaded = gat::train::read_checkpoint(checkpoint(5), "c.pt", "the key\n", torch::kCPU);
  EXPECT_EQ(loaded.progress.fit.epoch, 5);
  EXPECT_EQ(loaded.progress.fit.order, (std::vector<int64_t>{2, 0, 1}));
  EXPECT_EQ(loaded.progress.fit.shuffle_rng, "123 456");
  ASSERT_EQ(loaded.progress.fit.kept.size(), 1u);
  EXPECT_TRUE(torch::equal(loaded.progress.fit.kept[0], torch::full({3, 2}, 0.5)));
  EXPECT_EQ(
      error_of([&] { gat::train::read_checkpoint(checkpoint(5, "another key\n"), "c.pt", "the key\n", torch::kCPU); }),
      "c.pt: written for another config or data: this run has 'the key', the checkpoint 'another key'");
}

// A checkpoint.pt with flipped bytes is passed over for checkpoint.prev.pt; with both damaged,
// or only one there and damaged, the load is an error naming the last one tried.
TEST_F(CheckpointFile, AFlippedByteFallsBackToThePreviousOneOrIsAnError) {
  const std::string current = dir_.file("checkpoint.pt"), previous = dir_.file("checkpoint.prev.pt");
  std::string newer = checkpoint(3), older = checkpoint(2);
  write(current, newer);
  write(previous, older);
  ASSERT_EQ(load()->progress.fit.epoch, 3);
  for (const std::size_t at : {std::size_t{0}, std::size_t{100}, newer.size() / 2, newer.size() - 40}) {
    std::string bad = newer;
    bad[at] = static_cast<char>(~bad[at]);
    write(current, bad);
    const auto loaded = load();
    ASSERT_TRUE(loaded.has_value()) << at;
    EXPECT_EQ(loaded->path, previous) << at;
    EXPECT_EQ(loaded->progress.fit.epoch, 2) << at;
  }
  std::string bad = older;
  bad[older.size() / 3] ^= 0x10;
  write(previous, bad);
  EXPECT_EQ(error_of([&] { load(); }), previous + ": " + kCorrupt + "; no whole checkpoint to resume from");
  std::remove(previous.c_str());
  write(current, newer.substr(0, newer.size() / 2));
  EXPECT_EQ(error_of([&] { load(); }), current + ": " + kNoChecksum + "; no whole checkpoint to resume from");
  std::remove(current.c_str());
  EXPECT_FALSE(load().has_value());
}

}  // namespace
