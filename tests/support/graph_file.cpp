// Writing test graph files.
#include "support/graph_file.h"

#include <ftw.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <set>

#include "common/directory.h"
#include "common/error.h"
#include "data/h5_file.h"

namespace gat::testing {

GraphFileSpec::GraphFileSpec() {
  root_attributes = {{"format", std::string("gat-graphs")},
                     {"version", int64_t{1}},
                     {"task", std::string("multiclass")},
                     {"num_classes", int64_t{3}}};
  datasets["/features"] = torch::arange(10, torch::kFloat32).view({5, 2});
  datasets["/labels"] = torch::tensor({0, 1, 2, 0, 1}, torch::kInt64);
  datasets["/edge_index"] = torch::tensor({{0, 1, 1, 2, 3, 4}, {1, 0, 2, 1, 4, 3}}, torch::kInt64);
  datasets["/graph_ptr"] = torch::tensor({0, 3, 5}, torch::kInt64);
  datasets["/edge_ptr"] = torch::tensor({0, 4, 6}, torch::kInt64);
  datasets["/splits/train"] = torch::tensor({0}, torch::kInt64);
  datasets["/splits/val"] = torch::tensor({1}, torch::kInt64);
  datasets["/splits/test"] = torch::tensor({1}, torch::kInt64);
  for (const char* s : {"/splits/train", "/splits/val", "/splits/test"}) split_levels[s] = "graph";
}

GraphFileSpec& GraphFileSpec::node_splits() {
  datasets["/splits/train"] = torch::tensor({0, 3}, torch::kInt64);
  datasets["/splits/val"] = torch::tensor({1}, torch::kInt64);
  datasets["/splits/test"] = torch::tensor({2, 4}, torch::kInt64);
  for (auto& [name, level] : split_levels) level = "node";
  return *this;
}

GraphFileSpec& GraphFileSpec::multilabel() {
  root_attributes["task"] = std::string("multilabel");
  datasets["/labels"] = torch::tensor({1, 0, 1, 0, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 1}, torch::kUInt8).view({5, 3});
  return *this;
}

GraphFileSpec& GraphFileSpec::partitioned() {
  node_splits();
  root_attributes["version"] = int64_t{2};
  datasets["/edge_index"] = torch::tensor({{1, 0, 2, 1, 4, 3}, {0, 1, 1, 2, 3, 4}}, torch::kInt64);
  datasets["/graph_ptr"] = torch::tensor({0, 5}, torch::kInt64);
  datasets["/edge_ptr"] = torch::tensor({0, 6}, torch::kInt64);
  datasets["/partition/cluster_ptr"] = torch::tensor({0, 3, 5}, torch::kInt64);
  datasets["/partition/node_perm"] = torch::tensor({2, 0, 1, 4, 3}, torch::kInt64);
  datasets["/partition/cluster"] = torch::tensor({0, 0, 0, 1, 1}, torch::kInt64);
  partition_attributes = {{"method", std::string("random")}, {"seed", int64_t{0}}};
  return *this;
}

void write_graph_file(const std::string& path, const GraphFileSpec& spec) {
  data::H5File file(path, data::H5File::Mode::kCreate);
  for (const auto& [name, value] : spec.root_attributes)
    std::visit([&, &name = name](const auto& v) { file.write_attribute("/", name, v); }, value);
  std::set<std::string> groups;
  for (const auto& [name, tensor] : spec.datasets) {
    const std::string group = name.substr(0, name.rfind('/'));
    if (!group.empty() && groups.insert(group).second) file.create_group(group);
    file.write(name, tensor);
  }
  if (!spec.partition_attributes.empty() && groups.insert("/partition").second) file.create_group("/partition");
  for (const auto& [name, value] : spec.partition_attributes)
    std::visit([&, &name = name](const auto& v) { file.write_attribute("/partition", name, v); }, value);
  for (const auto& [name, level] : spec.split_levels)
    if (level && spec.datasets.count(name)) file.write_attribute(name, "level", *level);
}

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "gat_test_XXXXXX").string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed for " + pattern);
  path_ = pattern;
}

std::vector<std::string> list_dir(const std::string& path) {
  try {
    return list_directory(path);
  } catch (const Error&) {
    return {};
  }
}

TempDir::~TempDir() {
  // Children before their directory (FTW_DEPTH); links are removed, never followed (FTW_PHYS).
  ::nftw(
      path_.c_str(), [](const char* p, const struct stat*, int, FTW*) { return ::remove(p); }, 16,
      FTW_DEPTH | FTW_PHYS);
}

}  // namespace gat::testing
