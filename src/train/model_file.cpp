// Module by module, as torch::save wrote it: each module's own parameters, then its children.
#include "train/model_file.h"

#include <filesystem>
#include <sstream>

#include "common/error.h"
#include "common/regular_file.h"

namespace gat::train {
namespace {

std::string shape(const torch::Tensor& t) {
  std::ostringstream s;
  s << t.sizes();
  return s.str();
}

void read_module(torch::serialize::InputArchive& archive, torch::nn::Module& module, const std::string& prefix,
                 const std::string& path) {
  for (auto& p : module.named_parameters(/*recurse=*/false)) {
    const std::string name = prefix + p.key();
    torch::Tensor saved;
    if (!archive.try_read(p.key(), saved)) throw Error(path + ": " + name + ": missing (the model of the config has it)");
    if (saved.sizes() != p.value().sizes())
      throw Error(path + ": " + name + ": expected shape " + shape(p.value()) + " (the model of the config and data), got " +
                  shape(saved));
    torch::NoGradGuard no_grad;
    p.value().copy_(saved);
  }
  for (auto& child : module.named_children()) {
    torch::serialize::InputArchive sub;
    if (!archive.try_read(child.key(), sub))
      throw Error(path + ": " + prefix + child.key() + ": missing (the model of the config has it)");
    read_module(sub, *child.value(), prefix + child.key() + ".", path);
  }
}

}  // namespace

void load_model(model::GAT& model, const std::string& path) {
  if (!std::filesystem::is_regular_file(path))
    throw special_file_error(path, "a model saved by gat_train (RUN_DIR/best.pt)").value_or(Error(path + ": no such file"));
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path);
  } catch (const c10::Error&) {
    throw Error(path + ": not a model saved by gat_train (torch::save)");
  }
  read_module(archive, *model, "", path);
}

}  // namespace gat::train
