// Grids parsed, combinations enumerated and checked, runs named.
#include "train/sweep_plan.h"

#include <filesystem>
#include <map>
#include <set>

#include "common/error.h"
#include "train/run_directory.h"

namespace gat::train {
namespace {

// Keys the sweep sets for each run itself.
const std::set<std::string> kSetBySweep = {"train.seed", "train.seeds", "train.run_dir", "train.resume"};

// A value as part of a directory name: characters a shell or file system may take otherwise
// ('/', space, brackets, quotes) become '_'.
std::string path_safe(const std::string& value) {
  std::string out = value;
  for (char& c : out)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '+' || c == '_' || c == ','))
      c = '_';
  return out;
}

}  // namespace

SweepAxis parse_axis(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0)
    throw Error("--grid " + text + ": expected KEY=V1,V2,..., e.g. train.lr=0.005,0.01");
  SweepAxis axis{text.substr(0, eq), {}};
  const std::string list = text.substr(eq + 1);
  int depth = 0;
  std::string value;
  for (size_t i = 0; i <= list.size(); ++i) {
    const char c = i < list.size() ? list[i] : ',';
    if (c == ',' && depth == 0) {
      if (value.empty())
        throw Error("--grid " + text + ": " + axis.key + ": expected a comma-separated list of values, got " +
                    (list.empty() ? "none" : "an empty one at position " + std::to_string(axis.values.size() + 1)));
      axis.values.push_back(value);
      value.clear();
      continue;
    }
    if (c == '[' || c == '{') ++depth;
    if (c == ']' || c == '}') --depth;
    value += c;
  }
  return axis;
}

SweepPlan::SweepPlan(std::string config_path, std::vector<std::string> sets, std::vector<SweepAxis> axes, int64_t seeds,
                     std::string dir)
    : axes_(std::move(axes)), dir_(std::move(dir)) {
  // --set train.seed and train.seeds stay allowed: they give the first seed and the default count.
  for (const std::string& set : sets) {
    const std::string key = set.substr(0, set.find('='));
    if (key == "train.run_dir" || key == "train.resume")
      throw Error("--set " + set + ": " + key + " is the sweep's to set for each run (its directory is under --dir)");
  }
  std::set<std::string> keys;
  for (const SweepAxis& axis : axes_) {
    if (kSetBySweep.count(axis.key))
      throw Error("--grid " + axis.key + ": the sweep sets " + axis.key + " for each run; use --seeds for more seeds");
    if (!keys.insert(axis.key).second) throw Error("--grid " + axis.key + ": the key is swept twice");
  }
  const config::Config base = config::load_config(config_path, sets);
  if (seeds < 0) throw Error("--seeds: expected an integer >= 1, got " + std::to_string(seeds));
  if (seeds == 0) seeds = base.train.seeds;
  if (dir_.empty()) dir_ = "sweeps/" + std::filesystem::path(config_path).stem().string();

  combinations_.push_back({});
  for (const SweepAxis& axis : axes_) {
    std::vector<std::vector<int64_t>> longer;
    for (const auto& combination : combinations_)
      for (int64_t v = 0; v < static_cast<int64_t>(axis.values.size()); ++v) {
        longer.push_back(combination);
        longer.back().push_back(v);
      }
    combinations_ = std::move(longer);
  }
  std::map<std::string, int64_t> named;
  for (int64_t c = 0; c < static_cast<int64_t>(combinations_.size()); ++c) {
    if (auto [it, fresh] = named.emplace(name(c), c); !fresh)
      throw Error("--grid: combinations " + std::to_string(it->second + 1) + " and " + std::to_string(c + 1) +
                  " would share the directory " + name(c));
    // The --sets, then the combination's values; a bad value throws the config's error here,
    // before any run.
    std::vector<std::string> overrides = sets;
    for (size_t a = 0; a < axes_.size(); ++a) overrides.push_back(axes_[a].key + "=" + value(c, a));
    combination_configs_.push_back(config::load_config(config_path, overrides));
    for (int64_t k = 0; k < seeds; ++k) {
      const int64_t seed = base.train.seed + k;
      runs_.push_back({c, seed, dir_ + "/" + name(c) + "/seed_" + std::to_string(seed)});
    }
  }
}

std::string SweepPlan::name(int64_t combination) const {
  if (axes_.empty()) return "base";
  std::string out;
  for (size_t a = 0; a < axes_.size(); ++a)
    out += (a ? "," : "") + axes_[a].key + "=" + path_safe(value(combination, a));
  return out;
}

const std::string& SweepPlan::value(int64_t combination, size_t axis) const {
  return axes_[axis].values[combinations_[combination][axis]];
}

config::Config SweepPlan::config(const SweepRun& run) const {
  config::Config config = combination_configs_[run.combination];
  // Set in the struct, not as YAML text: a directory name need not be a valid YAML scalar.
  config.train.seed = run.seed;
  config.train.seeds = 1;
  config.train.run_dir = run.dir;
  config.train.resume = ResumeMode::kAuto;
  return config;
}

RunState run_state(const SweepRun& run) {
  if (std::filesystem::exists(run.dir + "/" + kRunResults)) return RunState::kFinished;
  if (std::filesystem::exists(run.dir + "/" + kRunFailed)) return RunState::kFailed;
  return RunState::kPending;
}

}  // namespace gat::train
