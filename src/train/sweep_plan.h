// A grid sweep's plan (gat_sweep): the swept keys and their values, every combination of them, and
// every run, a combination with one seed, each in its own run directory.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/config.h"

namespace gat::train {

// One --grid: a config key and the values it takes, each as YAML ("model.heads=[8,1],[4,1]").
struct SweepAxis {
  std::string key;
  std::vector<std::string> values;
};

// Parses "KEY=V1,V2,...". Values split at commas outside brackets and braces, so lists and
// mappings are values too. Throws gat::Error naming the --grid for a missing '=' or an empty value.
SweepAxis parse_axis(const std::string& text);

// One run of the sweep: a combination (an index into SweepPlan::combinations()) and a seed.
struct SweepRun {
  int64_t combination = 0;
  int64_t seed = 0;
  std::string dir;  // its run directory: DIR/<combination's name>/seed_<seed>
};

class SweepPlan {
 public:
  // `sets` apply to every run, as gat_train's --set; `seeds` runs per combination (0: the config's
  // train.seeds), from train.seed on; `dir` empty: sweeps/<config file name without .yaml>.
  // Resolves every combination's config at once, so that a bad grid (unknown key, wrong type,
  // empty list, a key given twice, a key the sweep sets itself) is the config's one-line
  // gat::Error before anything runs.
  SweepPlan(std::string config_path, std::vector<std::string> sets, std::vector<SweepAxis> axes, int64_t seeds,
            std::string dir);

  const std::string& dir() const { return dir_; }
  const std::vector<SweepAxis>& axes() const { return axes_; }
  // Each combination's value index per axis; the last axis varies fastest.
  const std::vector<std::vector<int64_t>>& combinations() const { return combinations_; }
  // Combination by combination, seeds in order within each.
  const std::vector<SweepRun>& runs() const { return runs_; }
  // "model.dropout=0.4,train.lr=0.005": the combination's values, as its directory is named.
  std::string name(int64_t combination) const;
  // The value of axis `axis` in combination `combination`.
  const std::string& value(int64_t combination, size_t axis) const;

  // The run's resolved config: the file, the --sets, the combination, then train.seed, train.seeds
  // 1, train.run_dir and train.resume auto (an interrupted run continues from its checkpoint).
  config::Config config(const SweepRun& run) const;

 private:
  std::vector<SweepAxis> axes_;
  std::string dir_;
  std::vector<std::vector<int64_t>> combinations_;
  // Each combination's config, resolved once from the file as it was when the sweep started: an
  // edit to the file during a sweep does not reach its later runs.
  std::vector<config::Config> combination_configs_;
  std::vector<SweepRun> runs_;
};

// What a run left in its directory: results.json (finished), failed.txt (diverged: finished
// without a model), or neither (not started, or interrupted).
enum class RunState { kPending, kFinished, kFailed };
RunState run_state(const SweepRun& run);

// The file a run that diverged leaves, holding the error's line: a sweep started again does not
// rerun it, since the same seed diverges the same way.
inline constexpr const char* kRunFailed = "failed.txt";

}  // namespace gat::train
