// A finished sweep's table: one row per combination, from the runs' own results.json files.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "train/sweep_plan.h"

namespace gat::train {

// A combination's runs, summarised. Means and standard deviations (population, as results.json's
// test_std) are over its finished runs; a run that diverged counts in `failed` only.
struct SweepRow {
  int64_t combination = 0;
  int64_t runs = 0, failed = 0;
  double val_mean = 0, val_std = 0, test_mean = 0, test_std = 0, epochs_mean = 0;
  double seconds = 0;  // the runs' training time, summed
};

// Reads every run's results.json; throws gat::Error naming a file that is missing or unreadable.
std::vector<SweepRow> summarize_sweep(const SweepPlan& plan);

// Writes DIR/summary.csv, DIR/summary.md and DIR/summary.svg (the scores against each swept key,
// averaged over the other keys' values and the seeds), each whole or not at all. Returns
// summary.md's table.
std::string write_sweep_summary(const SweepPlan& plan, const std::vector<SweepRow>& rows);

}  // namespace gat::train
