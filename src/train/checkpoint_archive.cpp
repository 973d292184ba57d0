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

// The run's progress as checkpoint fields, listed once: writing and reading both walk this list,
// as the config's field lists drive its decoding and printing, so a new field goes here alone.
// `Progress` is RunProgress, const for writing.
template <class Progress, class Fields>
void visit(Progress& p, Fields& f) {
  f.integer("seed_index", p.seed_index, 0);
  f.tensor("results", p.results, torch::kFloat64, 2, 8);
  f.real("best_val", p.best_val);
  f.tensors("best_params", p.best_params);
  f.integer("metrics_lines", p.metrics_lines, 0);
  auto& fit = p.fit;
  f.integer("epoch", fit.epoch, 1);
  f.integer("steps_done", fit.steps_done, 0);
  f.ids("order", fit.order);
  f.text("shuffle_rng", fit.shuffle_rng);
  f.real("loss_sum", fit.loss_sum);
  f.real("loss_nodes", fit.loss_nodes);
  f.integer("stopping_bad_epochs", fit.stopping.bad_epochs, 0);
  f.real("stopping_best_loss", fit.stopping.best_loss);
  f.real("stopping_best_metric", fit.stopping.best_metric);
  f.seed_result("result", fit.result);
  f.tensors("kept", fit.kept);
}

// Writes each field into the archive.
class FieldWriter {
 public:
  explicit FieldWriter(torch::serialize::OutputArchive& archive) : archive_(archive) {}

  void integer(const char* key, int64_t value, int64_t /*min*/) { archive_.write(key, c10::IValue(value)); }
  void real(const char* key, double value) { archive_.write(key, c10::IValue(value)); }
  void text(const char* key, const std::string& value) { archive_.write(key, c10::IValue(value)); }
  void tensor(const char* key, const torch::Tensor& value, torch::Dtype, int64_t, int64_t) {
    archive_.write(key, value);
  }
  void ids(const char* key, const std::vector<int64_t>& value) {
    archive_.write(key, torch::tensor(value, torch::kInt64));
  }
  void seed_result(const char* key, const SeedResult& value) { archive_.write(key, to_row(value)); }
  void tensors(const char* key, const std::vector<torch::Tensor>& value) {
    torch::serialize::OutputArchive list;
    for (std::size_t i = 0; i < value.size(); ++i) list.write(std::to_string(i), value[i]);
    list.write("size", c10::IValue(static_cast<int64_t>(value.size())));
    archive_.write(key, list);
  }

 private:
  torch::serialize::OutputArchive& archive_;
};

// Reads fields of one checkpoint, each checked; a failed check is a gat::Error naming the file
// and the field.
class FieldReader {
 public:
  // `prefix`: the name of the list whose items these fields are ("kept."), for messages.
  FieldReader(torch::serialize::InputArchive& archive, const std::string& path, std::string prefix = "")
      : archive_(archive), path_(path), prefix_(std::move(prefix)) {}

  void integer(const std::string& key, int64_t& out, int64_t min = INT64_MIN, int64_t max = INT64_MAX) {
    const c10::IValue v = get(key);
    if (!v.isInt() || v.toInt() < min || v.toInt() > max)
      fail(key, "expected an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]");
    out = v.toInt();
  }
  void real(const std::string& key, double& out) {
    const c10::IValue v = get(key);
    if (!v.isDouble()) fail(key, "expected a number");
    out = v.toDouble();
  }
  void text(const std::string& key, std::string& out) {
    const c10::IValue v = get(key);
    if (!v.isString()) fail(key, "expected a string");
    out = v.toStringRef();
  }
  // A CPU tensor of `dtype` and `dims` dimensions; `columns` > 0: the last has that size.
  void tensor(const std::string& key, torch::Tensor& out, torch::Dtype dtype, int64_t dims, int64_t columns = 0) {
    torch::Tensor t;
    if (!archive_.try_read(key, t)) fail(key, "missing");
    if (t.scalar_type() != dtype || t.dim() != dims || (columns > 0 && t.size(dims - 1) != columns))
      fail(key,
           "expected a " + std::string(c10::toString(dtype)) + " tensor of " + std::to_string(dims) + " dimensions");
    out = t.cpu().contiguous();
  }
  void ids(const std::string& key, std::vector<int64_t>& out) {
    torch::Tensor t;
    tensor(key, t, torch::kInt64, 1);
    out.assign(t.data_ptr<int64_t>(), t.data_ptr<int64_t>() + t.numel());
  }
  void seed_result(const std::string& key, SeedResult& out) {
    torch::Tensor row;
    tensor(key, row, torch::kFloat64, 1, 8);
    out = train::seed_result(row);
  }
  void tensors(const std::string& key, std::vector<torch::Tensor>& out) {
    torch::serialize::InputArchive list;
    if (!archive_.try_read(key, list)) fail(key, "missing");
    FieldReader items(list, path_, prefix_ + key + ".");
    int64_t size = 0;
    items.integer("size", size, 0, kMaxListSize);
    out.assign(static_cast<std::size_t>(size), torch::Tensor());
    for (std::size_t i = 0; i < out.size(); ++i)
      if (!list.try_read(std::to_string(i), out[i])) items.fail(std::to_string(i), "missing");
  }
  std::string text(const std::string& key) {
    std::string out;
    text(key, out);
    return out;
  }

 private:
  c10::IValue get(const std::string& key) {
    c10::IValue v;
    if (!archive_.try_read(key, v)) fail(key, "missing");
    return v;
  }
  [[noreturn]] void fail(const std::string& key, const std::string& what) {
    throw Error(path_ + ": " + prefix_ + key + ": " + what + " (not a checkpoint of this version of gat_train)");
  }
  torch::serialize::InputArchive& archive_;
  const std::string& path_;
  const std::string prefix_;
};

}  // namespace

void write_progress(torch::serialize::OutputArchive& archive, const std::string& key, const RunProgress& progress) {
  archive.write("format", c10::IValue(std::string(kFormat)));
  archive.write("key", c10::IValue(key));
  FieldWriter fields(archive);
  visit(progress, fields);
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
    if (fields.text("format") != kFormat)
      throw Error(path + ": expected a checkpoint of format '" + std::string(kFormat) + "'");
    if (const std::string theirs = fields.text("key"); theirs != key) {
      const auto [here, there] = dist::first_difference(key, theirs);
      throw Error(path + ": written for another config or data: this run has '" + here + "', the checkpoint '" + there +
                  "'");
    }
    visit(loaded.progress, fields);
  } catch (const c10::Error& e) {  // LibTorch's own checks on what the archive holds
    const std::string what = e.what_without_backtrace();
    throw Error(path + ": not a checkpoint of this version of gat_train: " + what.substr(0, what.find('\n')));
  }
  return loaded;
}

}  // namespace gat::train
