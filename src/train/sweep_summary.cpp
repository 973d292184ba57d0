// Reads the runs' results, aggregates them per combination and per swept value, writes the files.
#include "train/sweep_summary.h"

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/log.h"
#include "common/svg_plot.h"
#include "train/run_directory.h"

namespace gat::train {
namespace {

// One run as its results.json states it.
struct RunScore {
  int64_t combination = 0;
  bool failed = false;
  double val = 0, test = 0, epochs = 0, seconds = 0;
};

RunScore read_run(const SweepRun& run) {
  RunScore score{run.combination};
  if (run_state(run) == RunState::kFailed) {
    score.failed = true;
    return score;
  }
  const std::string path = run.dir + "/" + kRunResults;
  const std::string text = read_whole_file(path);
  const nlohmann::json results = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (text.empty() || results.is_discarded() || !results.contains("val"))
    throw Error(path + ": expected a finished run's results (JSON with val), got " +
                (text.empty() ? "no readable file" : "other content"));
  const double nan = std::numeric_limits<double>::quiet_NaN();
  score.val = results["val"].get<double>();
  score.test = results.contains("test") ? results["test"].get<double>() : nan;
  score.epochs = results["epochs"].get<double>();
  score.seconds = results["seconds"].get<double>();
  return score;
}

struct MeanStd {
  double mean, std;
};

MeanStd mean_std(const std::vector<double>& values) {
  if (values.empty()) return {std::nan(""), std::nan("")};
  double mean = 0, var = 0;
  for (double v : values) mean += v / values.size();
  for (double v : values) var += (v - mean) * (v - mean) / values.size();
  return {mean, std::sqrt(var)};
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string out = "\"";
  for (const char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// summary.svg: for each swept key, the mean val and test score over the runs with each of its values.
std::string plot(const SweepPlan& plan, const std::vector<RunScore>& scores) {
  std::vector<PlotPanel> panels;
  for (size_t a = 0; a < plan.axes().size(); ++a) {
    const SweepAxis& axis = plan.axes()[a];
    PlotPanel panel{axis.key, axis.values, {{"val", {}, {}}, {"test", {}, {}}}};
    for (size_t v = 0; v < axis.values.size(); ++v) {
      std::vector<double> val, test;
      for (const RunScore& s : scores)
        if (!s.failed && plan.combinations()[s.combination][a] == static_cast<int64_t>(v))
          val.push_back(s.val), test.push_back(s.test);
      for (auto [series, values] : {std::pair{&panel.series[0], &val}, std::pair{&panel.series[1], &test}}) {
        const MeanStd m = mean_std(*values);
        series->mean.push_back(m.mean);
        series->spread.push_back(m.std);
      }
    }
    panels.push_back(std::move(panel));
  }
  return svg_plot(panels, "score (mean ± std over runs)");
}

// A combination's runs, summarised. Means and standard deviations (population, as results.json's
// test_std) are over its finished runs; a run that diverged counts in `failed` only.
struct SweepRow {
  int64_t combination = 0;
  int64_t runs = 0, failed = 0;
  double val_mean = 0, val_std = 0, test_mean = 0, test_std = 0, epochs_mean = 0;
  double seconds = 0;  // the runs' training time, summed
};

std::vector<SweepRow> summarize(const SweepPlan& plan, const std::vector<RunScore>& scores) {
  std::vector<std::vector<RunScore>> by_combination(plan.combinations().size());
  for (const RunScore& s : scores) by_combination[s.combination].push_back(s);
  std::vector<SweepRow> rows;
  for (size_t c = 0; c < by_combination.size(); ++c) {
    SweepRow row{static_cast<int64_t>(c)};
    std::vector<double> val, test, epochs;
    for (const RunScore& s : by_combination[c]) {
      if (s.failed) {
        ++row.failed;
        continue;
      }
      ++row.runs;
      val.push_back(s.val), test.push_back(s.test), epochs.push_back(s.epochs);
      row.seconds += s.seconds;
    }
    const MeanStd v = mean_std(val), t = mean_std(test), e = mean_std(epochs);
    row.val_mean = v.mean, row.val_std = v.std, row.test_mean = t.mean, row.test_std = t.std, row.epochs_mean = e.mean;
    rows.push_back(row);
  }
  return rows;
}

}  // namespace

std::string write_sweep_summary(const SweepPlan& plan) {
  std::vector<RunScore> scores;
  for (const SweepRun& run : plan.runs()) scores.push_back(read_run(run));
  const std::vector<SweepRow> rows = summarize(plan, scores);
  std::string csv, md_head = "|", md_rule = "|";
  for (const SweepAxis& axis : plan.axes()) {
    csv += csv_field(axis.key) + ",";
    md_head += " " + axis.key + " |";
    md_rule += " --- |";
  }
  const char* columns[] = {"runs", "failed", "val_mean", "val_std", "test_mean", "test_std", "epochs_mean", "seconds"};
  for (const char* column : columns) {
    csv += std::string(column) + (column == columns[std::size(columns) - 1] ? "\n" : ",");
    md_head += std::string(" ") + column + " |";
    md_rule += " ---: |";
  }
  std::string md = md_head + "\n" + md_rule + "\n";
  int64_t best = -1;
  for (const SweepRow& row : rows) {
    std::string values, cells;
    for (size_t a = 0; a < plan.axes().size(); ++a) {
      values += csv_field(plan.value(row.combination, a)) + ",";
      cells += " " + plan.value(row.combination, a) + " |";
    }
    const std::string numbers =
        fmt::format("{},{},{:.6f},{:.6f},{:.6f},{:.6f},{:.1f},{:.1f}", row.runs, row.failed, row.val_mean, row.val_std,
                    row.test_mean, row.test_std, row.epochs_mean, row.seconds);
    csv += values + numbers + "\n";
    md += "|" + cells +
          fmt::format(" {} | {} | {:.4f} | {:.4f} | {:.4f} | {:.4f} | {:.1f} | {:.1f} |\n", row.runs, row.failed,
                      row.val_mean, row.val_std, row.test_mean, row.test_std, row.epochs_mean, row.seconds);
    if (row.runs > 0 && (best < 0 || row.val_mean > rows[best].val_mean)) best = row.combination;
  }
  if (best >= 0) md += "\nBest by val_mean: " + plan.name(best) + ".\n";
  write_file_atomically(plan.dir() + "/summary.csv", csv);
  write_file_atomically(plan.dir() + "/summary.md", md);
  write_file_atomically(plan.dir() + "/summary.svg", plot(plan, scores));
  return md;
}

}  // namespace gat::train
