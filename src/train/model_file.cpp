// Module by module, as torch::save writes it: each module's own parameters, then its children.
#include "train/model_file.h"

#include <filesystem>
#include <set>
#include <sstream>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/regular_file.h"
#include "common/sealed_zip.h"

namespace gat::train {
namespace {

constexpr const char* kTaskKey = "gat_task";  // not a name torch::nn modules give a parameter

std::string shape(const torch::Tensor& t) {
  std::ostringstream s;
  s << t.sizes();
  return s.str();
}

void read_module(torch::serialize::InputArchive& archive, torch::nn::Module& module, const std::string& prefix,
                 const std::string& path, std::set<std::string> known) {
  for (auto& p : module.named_parameters(/*recurse=*/false)) {
    const std::string name = prefix + p.key();
    known.insert(p.key());
    torch::Tensor saved;
    if (!archive.try_read(p.key(), saved))
      throw Error(path + ": " + name + ": missing (the model of the config has it)");
    if (saved.sizes() != p.value().sizes())
      throw Error(path + ": " + name + ": expected shape " + shape(p.value()) +
                  " (the model of the config and data), got " + shape(saved));
    if (saved.scalar_type() != p.value().scalar_type())
      throw Error(path + ": " + name + ": expected " + c10::toString(p.value().scalar_type()) + " values, got " +
                  c10::toString(saved.scalar_type()));
    torch::NoGradGuard no_grad;
    p.value().copy_(saved);
  }
  for (auto& b : module.named_buffers(/*recurse=*/false)) known.insert(b.key());
  for (auto& child : module.named_children()) {
    known.insert(child.key());
    torch::serialize::InputArchive sub;
    if (!archive.try_read(child.key(), sub))
      throw Error(path + ": " + prefix + child.key() + ": missing (the model of the config has it)");
    read_module(sub, *child.value(), prefix + child.key() + ".", path, {});
  }
  for (const std::string& key : archive.keys())
    if (!known.count(key) && key != "training")  // every TorchScript module has a `training` flag
      throw Error(path + ": " + prefix + key + ": saved, but the model of the config has no such parameter");
}

}  // namespace

void save_model(torch::nn::Module& model, data::Task task, const std::string& path) {
  torch::serialize::OutputArchive archive;
  model.save(archive);
  archive.write(kTaskKey, c10::IValue(std::string(data::to_string(task))));
  std::ostringstream bytes;  // in memory first, as checkpoints are: a full disk then ends in one error
  archive.save_to(bytes);
  write_file_atomically(path, sealed_zip(bytes.str()));
}

void load_model(torch::nn::Module& model, const std::string& path, const data::GraphDataset& dataset) {
  if (!std::filesystem::is_regular_file(path))
    throw special_file_error(path, "a model saved by gat_train (RUN_DIR/best.pt)")
        .value_or(Error(path + ": no such file"));
  const std::string bytes = read_whole_file(path);
  if (const auto problem = sealed_zip_problem(bytes)) throw Error(path + ": " + *problem);
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(bytes.data(), bytes.size());
    c10::IValue task;
    if (!archive.try_read(kTaskKey, task) || !task.isString())
      throw Error(path + ": " + kTaskKey + ": missing (not a model saved by this version of gat_train)");
    if (const std::string wanted = data::to_string(dataset.task); task.toStringRef() != wanted)
      throw Error(path + ": a model for a " + task.toStringRef() + " task, but " + dataset.path + " is " + wanted);
    read_module(archive, model, "", path, {kTaskKey});
  } catch (const c10::Error& e) {  // LibTorch's own checks on what the archive holds
    const std::string what = e.what_without_backtrace();
    throw Error(path + ": not a model saved by gat_train: " + what.substr(0, what.find('\n')));
  }
}

}  // namespace gat::train
