// A finished sweep's table: one row per combination, from the runs' own results.json files.
#pragma once

#include <string>

#include "train/sweep_plan.h"

namespace gat::train {

// Reads every run's results.json (or failed.txt) once and writes DIR/summary.csv and DIR/summary.md,
// one row per combination: its finished and failed runs, the mean and standard deviation
// (population, as results.json's test_std) of val and test over the finished ones, their mean
// epochs and summed training seconds; and DIR/summary.svg, the scores against each swept key,
// averaged over the other keys' values and the seeds. Each file is whole or absent. Throws
// gat::Error naming a results.json that is missing or unreadable. Returns summary.md's table.
std::string write_sweep_summary(const SweepPlan& plan);

}  // namespace gat::train
