// One archive per checkpoint: format, key, run progress, the seed's FitState, then the trainer's
// state. Bytes that pass the checksum can still hold anything (a file written by another version,
// or forged): every field is checked for its type and shape before it is used.
#include "train/checkpoint_archive.h"

#include <sstream>

#include "common/error.h"
#include "common/sealed_zip.h"
#include "dist/consistency.h"

namespace gat::train {
namespace {

constexpr const char* kFormat = "gat-checkpoint 1";
constexpr int64_t kMaxListSize = 1 << 20;  // far more tensors than any model has parameters

void write_tensors(torch::serialize::OutputArchive& archive, const std::string& key, const std::vector<torch::Tensor>& tensors) {
  torch::serialize::OutputArchive list;
  for (std::size_t i = 0; i < tensors.size(); ++i) list.write(std::to_string(i), tensors[i]);
  list.write("size", c10::IValue(static_cast<int64_t>(tensors.size())));
  archive.write(key, list);
}

// Reads fields of one checkpoint, each checked; a failed check is a gat::Error naming the file
// and the field.
class FieldReader {
 public:
  // `prefix`: the name of the list whose items these fields are ("kept."), for messages.
  FieldReader(torch::serialize::InputArchive& archive, const std::string& path, std::string prefix = "")
      : archive_(archive), path_(path), prefix_(std::move(prefix)) {}

  c10::IValue get(const std::string& key) {
    c10::IValue v;
    if (!archive_.try_read(key, v)) fail(key, "missing");
    return v;
  }
  int64_t integer(const std::string& key, int64_t min = INT64_MIN, int64_t max = INT64_MAX) {
    const c10::IValue v = get(key);
    if (!v.isInt() || v.toInt() < min || v.toInt() > max) fail(key, "expected an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]");
    return v.toInt();
  }
  double real(const std::string& key) {
    const c10::IValue v = get(key);
    if (!v.isDouble()) fail(key, "expected a number");
    return v.toDouble();
  }
  std::string text(const std::string& key) {
    const c10::IValue v = get(key);
    if (!v.isString()) fail(key, "expected a string");
    return v.toStringRef();
  }
  // A tensor of `dtype` and `dims` dimensions; `columns` > 0: the last has that size.
  torch::Tensor tensor(const std::string& key, torch::Dtype dtype, int64_t dims, int64_t columns = 0) {
    torch::Tensor t;
    if (!archive_.try_read(key, t)) fail(key, "missing");
    if (t.scalar_type() != dtype || t.dim() != dims || (columns > 0 && t.size(dims - 1) != columns))
      fail(key, "expected a " + std::string(c10::toString(dtype)) + " tensor of " + std::to_string(dims) + " dimensions");
    return t;
  }
  std::vector<torch::Tensor> tensors(const std::string& key) {
    torch::serialize::InputArchive list;
    if (!archive_.try_read(key, list)) fail(key, "missing");
    FieldReader items(list, path_, prefix_ + key + ".");
    std::vector<torch::Tensor> tensors(items.integer("size", 0, kMaxListSize));
    for (std::size_t i = 0; i < tensors.size(); ++i)
      if (!list.try_read(std::to_string(i), tensors[i])) items.fail(std::to_string(i), "missing");
    return tensors;
  }

 private:
  [[noreturn]] void fail(const std::string& key, const std::string& what) {
    throw Error(path_ + ": " + prefix_ + key + ": " + what + " (not a checkpoint of this version of gat_train)");
  }
  torch::serialize::InputArchive& archive_;
  const std::string& path_;
  const std::string prefix_;
};

RunProgress read_progress(FieldReader& fields) {
  RunProgress p;
  p.seed_index = fields.integer("seed_index", 0);
  p.results = fields.tensor("results", torch::kFloat64, 2, 8).cpu();
  p.best_val = fields.real("best_val");
  p.best_params = fields.tensors("best_params");
  p.metrics_lines = fields.integer("metrics_lines", 0);
  FitState& f = p.fit;
  f.epoch = fields.integer("epoch", 1);
  f.steps_done = fields.integer("steps_done", 0);
  const torch::Tensor order = fields.tensor("order", torch::kInt64, 1).cpu().contiguous();
  f.order.assign(order.data_ptr<int64_t>(), order.data_ptr<int64_t>() + order.numel());
  f.shuffle_rng = fields.text("shuffle_rng");
  f.loss_sum = fields.real("loss_sum");
  f.loss_nodes = fields.real("loss_nodes");
  f.stopping = {fields.integer("stopping_bad_epochs", 0), fields.real("stopping_best_loss"),
                fields.real("stopping_best_metric")};
  f.result = seed_result(fields.tensor("result", torch::kFloat64, 1, 8).cpu().contiguous());
  f.kept = fields.tensors("kept");
  return p;
}

}  // namespace

void write_progress(torch::serialize::OutputArchive& archive, const std::string& key, const RunProgress& progress) {
  archive.write("format", c10::IValue(std::string(kFormat)));
  archive.write("key", c10::IValue(key));
  archive.write("seed_index", c10::IValue(progress.seed_index));
  archive.write("results", progress.results);
  archive.write("best_val", c10::IValue(progress.best_val));
  write_tensors(archive, "best_params", progress.best_params);
  archive.write("metrics_lines", c10::IValue(progress.metrics_lines));
  const FitState& f = progress.fit;
  archive.write("epoch", c10::IValue(f.epoch));
  archive.write("steps_done", c10::IValue(f.steps_done));
  archive.write("order", torch::tensor(f.order, torch::kInt64));
  archive.write("shuffle_rng", c10::IValue(f.shuffle_rng));
  archive.write("loss_sum", c10::IValue(f.loss_sum));
  archive.write("loss_nodes", c10::IValue(f.loss_nodes));
  archive.write("stopping_bad_epochs", c10::IValue(f.stopping.bad_epochs));
  archive.write("stopping_best_loss", c10::IValue(f.stopping.best_loss));
  archive.write("stopping_best_metric", c10::IValue(f.stopping.best_metric));
  archive.write("result", to_row(f.result));
  write_tensors(archive, "kept", f.kept);
}

std::string checkpoint_bytes(torch::serialize::OutputArchive& archive) {
  std::ostringstream bytes;
  archive.save_to(bytes);
  return sealed_zip(bytes.str());
}

std::optional<std::string> checkpoint_problem(const std::string& bytes) {
  if (auto problem = sealed_zip_problem(bytes)) return problem;
  try {
    torch::serialize::InputArchive probe;
    probe.load_from(bytes.data(), bytes.size());
  } catch (const c10::Error&) {
    return "not a readable checkpoint";
  }
  return std::nullopt;
}

LoadedCheckpoint read_checkpoint(const std::string& bytes, const std::string& path, const std::string& key,
                                 const torch::Device& device) {
  if (auto problem = checkpoint_problem(bytes)) throw Error(path + ": " + *problem);
  LoadedCheckpoint loaded;
  loaded.path = path;
  loaded.archive = std::make_shared<torch::serialize::InputArchive>();
  try {
    loaded.archive->load_from(bytes.data(), bytes.size(), device);
    FieldReader fields(*loaded.archive, path);
    if (fields.text("format") != kFormat) throw Error(path + ": expected a checkpoint of format '" + std::string(kFormat) + "'");
    if (const std::string theirs = fields.text("key"); theirs != key) {
      const auto [here, there] = dist::first_difference(key, theirs);
      throw Error(path + ": written for another config or data: this run has '" + here + "', the checkpoint '" +
                  there + "'");
    }
    loaded.progress = read_progress(fields);
  } catch (const c10::Error& e) {  // LibTorch's own checks on what the archive holds
    const std::string what = e.what_without_backtrace();
    throw Error(path + ": not a checkpoint of this version of gat_train: " + what.substr(0, what.find('\n')));
  }
  return loaded;
}

}  // namespace gat::train
