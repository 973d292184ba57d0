// gat_sweep as a user runs it: bad grids, a sweep killed and started again, runs spread over ranks
// or data-parallel, the summary against the runs' own results.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "common/atomic_file.h"
#include "support/graph_file.h"
#include "support/tool_stderr.h"

namespace {

struct Outcome {
  int exit_code;
  std::string err;
};

std::string mpirun(int ranks) {
  return "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 timeout 300 " + std::string(GAT_MPIEXEC) +
         " --oversubscribe -np " + std::to_string(ranks) + " ";
}

bool exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// The file's modification time in nanoseconds: a run written again gets a new one.
int64_t mtime_ns(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return -1;
  return int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
}

nlohmann::json read_json(const std::string& path) { return nlohmann::json::parse(gat::read_whole_file(path)); }

// summary.csv as rows of fields (no field here needs quoting).
std::vector<std::vector<std::string>> read_csv(const std::string& path) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(gat::read_whole_file(path));
  for (std::string line; std::getline(in, line);) {
    rows.emplace_back();
    std::istringstream fields(line);
    for (std::string field; std::getline(fields, field, ',');) rows.back().push_back(field);
  }
  return rows;
}

class Sweep : public ::testing::Test {
 protected:
  // `epochs` without early stopping, a checkpoint after each: 60 are long enough to be killed part-way.
  std::string write_config(const std::string& data, int epochs = 60, const std::string& extra = "") {
    const std::string path = tmp_.file("sweep.yaml");
    std::ofstream(path) << "data: {path: " << std::string(GAT_TEST_DATA) << "/" << data << "}\n"
                        << "model: {hidden: [4], heads: [2, 1]}\n"
                        << "train: {epochs: " << epochs << ", patience: 1000, threads: 1, checkpoint_every: 1" << extra
                        << "}\n";
    return path;
  }
  std::string sweep(int ranks, const std::string& args) {
    const std::string tool = std::string(GAT_BINARY_DIR) + "/gat_sweep " + args + " --log-level warn";
    return ranks == 1 ? tool : mpirun(ranks) + tool;
  }
  Outcome run(const std::string& command) {
    const int status = std::system((command + " >/dev/null 2>" + tmp_.file("err")).c_str());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, gat::testing::read_tool_stderr(tmp_.file("err"))};
  }
  void expect_error(const std::string& args, const std::string& line) {
    const Outcome o = run(sweep(1, args));
    EXPECT_EQ(o.exit_code, 2) << args;
    EXPECT_EQ(o.err, "gat_sweep: error: " + line + "\n") << args;
  }

  gat::testing::TempDir tmp_;
};

const char* const kGrid = " --grid model.dropout=0.4,0.6 --grid train.lr=0.005,0.01 --seeds 3";

// The 12 run directories of kGrid under `dir`.
std::vector<std::string> grid_runs(const std::string& dir) {
  std::vector<std::string> runs;
  for (const char* dropout : {"0.4", "0.6"})
    for (const char* lr : {"0.005", "0.01"})
      for (int seed = 0; seed < 3; ++seed)
        runs.push_back(dir + "/model.dropout=" + dropout + ",train.lr=" + lr + "/seed_" + std::to_string(seed));
  return runs;
}

TEST_F(Sweep, BadGridsAreTheConfigsOneLineErrors) {
  const std::string c = write_config("synthetic.h5"), dir = tmp_.file("bad");
  const std::string base = "--config " + c + " --dir " + dir;
  expect_error(
      base + " --grid train.lrr=0.1,0.2",
      c + ": train.lrr: unknown key (expected one of batch_graphs, checkpoint_every, device, early_stopping, "
          "epochs, lr, on_nonfinite, patience, precision, resume, run_dir, seed, seeds, threads, weight_decay)");
  expect_error(base + " --grid train.lr=0.1,abc", c + ": train.lr: expected a number, got \"abc\"");
  expect_error(base + " --grid model.heads=[2,1],[2]",
               c + ": model.heads: expected one entry per hidden layer plus one for the output layer (2 entries), "
                   "got [2]");
  expect_error(base + " --grid train.lr=",
               "--grid train.lr=: train.lr: expected a comma-separated list of values, got none");
  expect_error(base + " --grid train.lr=0.1,,0.2",
               "--grid train.lr=0.1,,0.2: train.lr: expected a comma-separated list of values, got an empty one at "
               "position 2");
  expect_error(base + " --grid train.lr", "--grid train.lr: expected KEY=V1,V2,..., e.g. train.lr=0.005,0.01");
  expect_error(base + " --grid train.lr=0.1 --grid train.lr=0.2", "--grid train.lr: the key is swept twice");
  expect_error(base + " --grid train.seed=1,2",
               "--grid train.seed: the sweep sets train.seed for each run; use --seeds for more seeds");
  expect_error(
      base + " --set train.run_dir=x --grid train.lr=0.1",
      "--set train.run_dir=x: train.run_dir is the sweep's to set for each run (its directory is under --dir)");
  expect_error(base + " --grid train.lr=0.1 --seeds -1", "--seeds: expected an integer >= 1, got -1");
  expect_error(base + " --grid train.lr=0.1 --shard 2/2", "--shard 2/2: expected I/N with 0 <= I < N, e.g. 0/4");
  EXPECT_FALSE(exists(dir)) << "a bad sweep wrote its directory";
}

// The round trip: 2 ranks, node-level data (the runs spread over the ranks), killed with
// SIGKILL once some runs have finished, started again. No finished run is trained again, the
// interrupted ones continue from their checkpoints, and the result is the uninterrupted sweep's.
TEST_F(Sweep, AKilledSweepStartedAgainSkipsFinishedRunsAndEndsLikeAWholeOne) {
  const std::string c = write_config("synthetic.h5");
  const std::string killed = tmp_.file("killed"), whole = tmp_.file("whole");
  const std::string pid_file = tmp_.file("pid");
  ASSERT_EQ(std::system(("sh -c '" + sweep(2, "--config " + c + kGrid + " --dir " + killed) +
                         " >/dev/null 2>&1 & echo $! >" + pid_file + "' ")
                            .c_str()),
            0);
  const std::vector<std::string> runs = grid_runs(killed);
  auto finished = [&] {
    int n = 0;
    for (const std::string& r : runs) n += exists(r + "/results.json");
    return n;
  };
  for (int i = 0; i < 12000 && finished() < 4; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  // Every process whose command line names the sweep's directory: launcher and ranks.
  const std::string pattern = "'" + killed.substr(0, killed.size() - 1) + "[" + killed.back() + "]'";
  ASSERT_EQ(std::system(("pkill -9 -f " + pattern).c_str()), 0) << "the sweep was not running";
  for (int i = 0; i < 2000 && std::system(("pgrep -f " + pattern + " >/dev/null").c_str()) == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::map<std::string, int64_t> done_before;
  for (const std::string& r : runs)
    if (exists(r + "/results.json")) done_before[r] = mtime_ns(r + "/results.json");
  ASSERT_GE(done_before.size(), 4u);
  ASSERT_LT(done_before.size(), runs.size()) << "the sweep ended before it was killed";
  EXPECT_FALSE(exists(killed + "/summary.csv"));

  const Outcome again = run(sweep(2, "--config " + c + kGrid + " --dir " + killed));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  for (const auto& [r, mtime] : done_before) EXPECT_EQ(mtime_ns(r + "/results.json"), mtime) << r << " ran again";
  for (const std::string& r : runs) EXPECT_TRUE(exists(r + "/results.json")) << r;

  // summary.csv agrees with the runs' own results.json files.
  const auto rows = read_csv(killed + "/summary.csv");
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0], std::vector<std::string>({"model.dropout", "train.lr", "runs", "failed", "val_mean", "val_std",
                                               "test_mean", "test_std", "epochs_mean", "seconds"}));
  for (int c = 0; c < 4; ++c) {
    double val = 0, test = 0, test_sq = 0, epochs = 0;
    for (int s = 0; s < 3; ++s) {
      const auto results = read_json(runs[3 * c + s] + "/results.json");
      EXPECT_EQ(results["world_size"], 1);  // each run trained by one rank alone
      val += results["val"].get<double>() / 3, test += results["test"].get<double>() / 3;
      test_sq += std::pow(results["test"].get<double>(), 2) / 3;
      epochs += results["epochs"].get<double>() / 3;
    }
    const auto& row = rows[c + 1];
    EXPECT_EQ(row[0], c < 2 ? "0.4" : "0.6");
    EXPECT_EQ(row[1], c % 2 ? "0.01" : "0.005");
    EXPECT_EQ(row[2], "3");
    EXPECT_EQ(row[3], "0");
    EXPECT_NEAR(std::stod(row[4]), val, 1e-6);
    EXPECT_NEAR(std::stod(row[6]), test, 1e-6);
    EXPECT_NEAR(std::stod(row[7]), std::sqrt(std::max(0.0, test_sq - test * test)), 1e-6);
    EXPECT_NEAR(std::stod(row[8]), epochs, 0.05);
  }
  EXPECT_EQ(gat::read_whole_file(killed + "/summary.svg").rfind("<svg", 0), 0u);

  // The uninterrupted sweep scores alike, column by column but for the time taken.
  ASSERT_EQ(run(sweep(2, "--config " + c + kGrid + " --dir " + whole)).exit_code, 0);
  auto whole_rows = read_csv(whole + "/summary.csv");
  ASSERT_EQ(whole_rows.size(), rows.size());
  for (size_t r = 0; r < rows.size(); ++r)
    EXPECT_EQ(std::vector<std::string>(whole_rows[r].begin(), whole_rows[r].end() - 1),
              std::vector<std::string>(rows[r].begin(), rows[r].end() - 1));

  // Started once more, a finished sweep trains nothing and writes the same summary.
  const int64_t first = mtime_ns(runs[0] + "/results.json");
  ASSERT_EQ(run(sweep(1, "--config " + c + kGrid + " --dir " + killed)).exit_code, 0);
  EXPECT_EQ(mtime_ns(runs[0] + "/results.json"), first);
  EXPECT_EQ(read_csv(killed + "/summary.csv"), rows);
}

// Graph-level data: each run is data-parallel over all ranks, as gat_train's run on as many ranks.
TEST_F(Sweep, GraphLevelRunsTrainOnEveryRankLikeGatTrain) {
  const std::string c = write_config("inductive.h5", 4, ", batch_graphs: 2");
  ASSERT_EQ(run(sweep(2, "--config " + c + " --grid model.dropout=0,0.3 --seeds 1 --dir " + tmp_.file("g"))).exit_code,
            0);
  const auto swept = read_json(tmp_.file("g") + "/model.dropout=0.3/seed_0/results.json");
  EXPECT_EQ(swept["world_size"], 2);
  const Outcome o =
      run(mpirun(2) + std::string(GAT_BINARY_DIR) + "/gat_train --config " + c +
          " --set model.dropout=0.3 --set train.seeds=1 --set train.run_dir=" + tmp_.file("t") + " --log-level warn");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const auto trained = read_json(tmp_.file("t") + "/results.json");
  for (const char* key : {"val", "test", "best_epoch", "epochs"}) EXPECT_EQ(swept[key], trained[key]) << key;
}

// A sweep started again with another config finds runs that are not its own, and refuses them
// before it trains anything.
TEST_F(Sweep, ADirectoryHoldingAnotherConfigsRunIsRefused) {
  const std::string c = write_config("synthetic.h5", 3), dir = tmp_.file("o");
  ASSERT_EQ(run(sweep(1, "--config " + c + " --grid train.lr=0.01 --seeds 1 --dir " + dir)).exit_code, 0);
  expect_error("--config " + c + " --set train.epochs=4 --grid train.lr=0.01 --seeds 1 --dir " + dir,
               dir +
                   "/train.lr=0.01/seed_0/config.yaml: the directory holds a run of another config (this sweep "
                   "'  epochs: 4', the run '  epochs: 3'); give another --dir or remove it");
}

// A run that diverges is the sweep's result for it, not the sweep's end.
TEST_F(Sweep, ADivergedRunIsRecordedAndTheSweepGoesOn) {
  const std::string c = write_config("synthetic.h5", 3);
  const std::string dir = tmp_.file("d");
  const Outcome o = run(sweep(1, "--config " + c + " --grid train.lr=0.01,1e30 --seeds 2 --dir " + dir));
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(gat::read_whole_file(dir + "/train.lr=1e30/seed_1/failed.txt"),
            "seed 1 epoch 2 step 1: the loss is NaN or Inf (train.on_nonfinite: skip would drop the step)\n");
  const auto rows = read_csv(dir + "/summary.csv");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1][1], "2");  // train.lr=0.01: runs
  EXPECT_EQ(rows[2][1], "0");
  EXPECT_EQ(rows[2][2], "2");  // train.lr=1e30: failed
}

}  // namespace
