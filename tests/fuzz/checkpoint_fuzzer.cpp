// libFuzzer target: the checkpoint and model loaders (read_checkpoint, load_model) on bad files.
// The input does not become the file. It either edits the bytes of a valid checkpoint.pt or
// best.pt (flip, overwrite or insert bytes, cut the file short), which the checksum must refuse
// in one line naming the file, and never accept; or it edits their content (a field or parameter
// dropped, or replaced by a value of another type, dtype or shape; a key added), which is then
// written with LibTorch and sealed with a valid checksum. The second aims the fuzzer at our checks
// of what an archive holds rather than at LibTorch's parser of corrupt bytes, whose own failures
// (some end the process: an exception thrown through a noexcept function) a checksum that
// matches would be needed to reach.
#include <fuzzer/FuzzedDataProvider.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "fuzz_check.h"
#include "train/checkpoint_archive.h"
#include "train/model_file.h"

namespace {

using gat::fuzz::expect;

const std::string kKey = "the config and data\n";
const torch::Dtype kDtypes[] = {torch::kFloat32, torch::kFloat64, torch::kInt64, torch::kUInt8, torch::kInt32};

// The checkpoint's fields in the order write_progress writes them; lists hold tensors.
const char* const kFields[] = {"format",
                               "key",
                               "seed_index",
                               "results",
                               "best_val",
                               "best_params",
                               "metrics_lines",
                               "epoch",
                               "steps_done",
                               "order",
                               "shuffle_rng",
                               "loss_sum",
                               "loss_nodes",
                               "stopping_bad_epochs",
                               "stopping_best_loss",
                               "stopping_best_metric",
                               "result",
                               "kept"};

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

gat::train::RunProgress valid_progress() {
  gat::train::RunProgress progress;
  progress.results = torch::rand({2, 8}, torch::kFloat64);
  progress.best_params = {torch::rand({3, 2}), torch::rand({2})};
  progress.fit.order = {1, 0, 2};
  progress.fit.shuffle_rng = "5489 1 2 3";
  progress.fit.kept = {torch::rand({3, 2}), torch::rand({2})};
  return progress;
}

// A checkpoint as save_checkpoint writes it, less the trainer's state (read by the trainer, not here).
std::string valid_checkpoint() {
  torch::serialize::OutputArchive archive;
  gat::train::write_progress(archive, kKey, valid_progress());
  return gat::train::checkpoint_bytes(archive);
}

// A small model of nested modules, and one of them without a bias, as a GAT has them.
torch::nn::Sequential small_model() {
  return torch::nn::Sequential(torch::nn::Linear(2, 3), torch::nn::Linear(torch::nn::LinearOptions(3, 2).bias(false)));
}

torch::Tensor fuzzed_tensor(FuzzedDataProvider& in) {
  std::vector<int64_t> shape(in.ConsumeIntegralInRange(0, 3));
  for (int64_t& d : shape) d = in.ConsumeIntegralInRange(0, 9);
  return torch::full(shape, in.ConsumeIntegralInRange(-2, 3), in.PickValueInArray(kDtypes));
}

// A value of any type an archive holds, mostly near the valid ones.
c10::IValue fuzzed_value(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange(0, 4)) {
    case 0:
      return in.ConsumeIntegralInRange<int64_t>(-2, 10);
    case 1:
      return in.ConsumeIntegral<int64_t>();
    case 2:
      return in.ConsumeFloatingPoint<double>();
    case 3:
      return in.ConsumeRandomLengthString(12);
    default:
      return fuzzed_tensor(in);
  }
}

void write_list(torch::serialize::OutputArchive& archive, const std::string& key,
                const std::vector<torch::Tensor>& items, FuzzedDataProvider& in) {
  torch::serialize::OutputArchive list;
  const bool edited = in.ConsumeIntegralInRange(0, 3) == 0;
  for (std::size_t i = 0; i < items.size(); ++i)
    list.write(std::to_string(i), edited && in.ConsumeBool() ? fuzzed_tensor(in) : items[i]);
  list.write("size", c10::IValue(edited ? in.ConsumeIntegralInRange<int64_t>(-1, 4) : int64_t(items.size())));
  archive.write(key, list);
}

// A valid checkpoint's fields, some dropped or replaced, written and sealed.
std::string edited_checkpoint(FuzzedDataProvider& in) {
  // The valid fields, read back from a valid checkpoint: the reader's own view of them.
  static const auto loaded = gat::train::read_checkpoint(valid_checkpoint(), "valid.pt", kKey, torch::kCPU);
  torch::serialize::OutputArchive archive;
  for (const std::string key : kFields) {
    const int choice = in.ConsumeIntegralInRange(0, 15);
    if (choice == 0) continue;  // dropped
    if (key == "best_params" || key == "kept") {
      write_list(archive, key, key == "kept" ? loaded.progress.fit.kept : loaded.progress.best_params, in);
      continue;
    }
    c10::IValue value;
    loaded.archive->read(key, value);
    if (choice == 1) value = fuzzed_value(in);
    if (value.isTensor())
      archive.write(key, value.toTensor());
    else
      archive.write(key, value);
  }
  return gat::train::checkpoint_bytes(archive);
}

// small_model's parameters, some dropped, reshaped or retyped, perhaps one more key and another
// task, written as save_model writes them (it seals what it writes).
void write_edited_model(FuzzedDataProvider& in, const std::string& path) {
  auto model = small_model();
  for (auto& p : model->named_parameters()) {
    p.value().requires_grad_(false);  // an integer tensor cannot require gradients
    switch (in.ConsumeIntegralInRange(0, 7)) {
      case 0:
        p.value().set_data(fuzzed_tensor(in).to(torch::kFloat32));
        break;
      case 1:
        p.value().set_data(p.value().to(in.PickValueInArray(kDtypes)));
        break;
      default:
        break;
    }
  }
  if (in.ConsumeIntegralInRange(0, 3) == 0)
    model->register_parameter(in.PickValueInArray({"bias", "weight2"}), fuzzed_tensor(in).to(torch::kFloat32));
  const auto task = in.ConsumeBool() ? gat::data::Task::kMulticlass : gat::data::Task::kMultilabel;
  gat::train::save_model(*model, task, path);
}

// One change to a file's bytes.
void edit_bytes(FuzzedDataProvider& in, std::string& bytes) {
  if (bytes.empty()) return;
  const std::size_t at = in.ConsumeIntegralInRange<std::size_t>(0, bytes.size() - 1);
  switch (in.ConsumeIntegralInRange(0, 4)) {
    case 0:
      bytes[at] = static_cast<char>(bytes[at] ^ in.ConsumeIntegralInRange(1, 255));
      break;
    case 1:
      bytes[at] = static_cast<char>(in.ConsumeIntegral<uint8_t>());
      break;
    case 2:
      bytes.resize(at);
      break;
    case 3:
      bytes.insert(at, in.ConsumeRandomLengthString(16));
      break;
    default: {  // a little-endian integer where the zip or the pickle may hold a size or an offset
      const uint64_t value = in.ConsumeIntegral<uint64_t>();
      for (std::size_t i = 0; i < 8 && at + i < bytes.size(); ++i) bytes[at + i] = static_cast<char>(value >> (8 * i));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string checkpoint = valid_checkpoint();
  // best.pt is read from a file: in memory where there is a tmpfs.
  static const std::string model_path = std::string(::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp") +
                                        "/gat_checkpoint_fuzzer." + std::to_string(::getpid()) + ".pt";
  static const std::string model = [] {
    auto m = small_model();
    gat::train::save_model(*m, gat::data::Task::kMulticlass, model_path);
    return read_bytes(model_path);
  }();
  static const gat::data::GraphDataset dataset = [] {
    gat::data::GraphDataset d;
    d.path = "data.h5";
    return d;
  }();
  const std::string checkpoint_path = "run/checkpoint.pt";

  FuzzedDataProvider in(data, size);
  const bool is_model = in.ConsumeBool();
  const bool edit_content = in.ConsumeBool();
  std::string bytes;
  if (edit_content) {
    if (is_model) write_edited_model(in, model_path);
    bytes = is_model ? read_bytes(model_path) : edited_checkpoint(in);
  } else {
    bytes = is_model ? model : checkpoint;
    for (int edits = in.ConsumeIntegralInRange(1, 4); edits > 0; --edits) edit_bytes(in, bytes);
    if (is_model) std::ofstream(model_path, std::ios::binary | std::ios::trunc) << bytes;
  }

  bool accepted;
  if (is_model) {
    auto into = small_model();
    accepted = gat::fuzz::accepted(model_path, [&] { gat::train::load_model(*into, model_path, dataset); });
  } else {
    gat::train::LoadedCheckpoint loaded;
    accepted = gat::fuzz::accepted(
        checkpoint_path, [&] { loaded = gat::train::read_checkpoint(bytes, checkpoint_path, kKey, torch::kCPU); });
    if (accepted)
      expect(
          loaded.progress.results.dim() == 2 && loaded.progress.results.size(1) == 8 && loaded.progress.fit.epoch >= 1,
          "accepted a checkpoint whose results or epoch are out of shape");
  }
  expect(!accepted || edit_content || bytes == (is_model ? model : checkpoint), "accepted damaged bytes");
  return 0;
}
