// gat_train as a user runs it: exit codes, the one-line error on bad input, the JSON last line.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "common/atomic_file.h"
#include "common/memory_limit.h"
#include "common/threads.h"
#include "data/h5_file.h"
#include "ops/cpu_capability.h"
#include "support/graph_file.h"
#include "support/tool_stderr.h"

namespace fs = std::filesystem;

namespace {

struct Outcome {
  int exit_code;
  std::string out, err;
};

std::string read(const fs::path& p) { return gat::read_whole_file(p.string()); }

class GatTrainCli : public ::testing::Test {
 protected:
  // `env`: what the shell runs the tool with: assignments ("NAME=value ") or a wrapper command.
  Outcome run(const std::string& args, const std::string& tool = "gat_train", const std::string& env = "") {
    const std::string cmd = env + std::string(GAT_BINARY_DIR) + "/" + tool + " " + args + " >" +
                            (dir_ / "out").string() + " 2>" + (dir_ / "err").string();
    const int status = std::system(cmd.c_str());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read(dir_ / "out"),
            gat::testing::read_tool_stderr((dir_ / "err").string())};
  }

  std::string write_config(const std::string& text) {
    const fs::path p = dir_ / "c.yaml";
    std::ofstream(p) << text;
    return p.string();
  }

  // Expects exit code 2 and exactly one line on stderr, equal to `line`.
  void expect_error(const std::string& args, const std::string& line) {
    const Outcome o = run(args);
    EXPECT_EQ(o.exit_code, 2) << args;
    EXPECT_EQ(o.err, "gat_train: error: " + line + "\n") << args;
    EXPECT_TRUE(o.out.empty());
  }

  // The kept epoch's val loss, val and test scores in run_dir's results.json.
  static std::string kept_scores(const std::string& run_dir) {
    const nlohmann::json r = nlohmann::json::parse(read(fs::path(run_dir) / "results.json"));
    return r["runs"][0]["val_loss"].dump() + " " + r["val"].dump() + " " + r["test"].dump();
  }

  gat::testing::TempDir tmp_;
  fs::path dir_ = tmp_.path();
};

const std::string kData = std::string(GAT_TEST_DATA) + "/synthetic.h5";

TEST_F(GatTrainCli, DivergenceExitsWithThreeNamingTheStep) {
  // lr 1e30: the first step sends the weights to about +-1e30, and the second step's loss is NaN.
  const std::string c =
      write_config("data: {path: " + kData + "}\ntrain: {lr: 1e30, run_dir: " + (dir_ / "run").string() + "}\n");
  const Outcome o = run("--config " + c + " --log-level off");
  EXPECT_EQ(o.exit_code, 3);
  EXPECT_EQ(o.err,
            "gat_train: error: seed 0 epoch 2 step 1: the loss is NaN or Inf (train.on_nonfinite: skip would drop "
            "the step)\n");
  EXPECT_TRUE(o.out.empty());
}

TEST_F(GatTrainCli, BadConfigInputs) {
  expect_error("--config /nonexistent.yaml", "/nonexistent.yaml: cannot read config file");
  const std::string good = write_config("data: {path: " + kData + "}\n");
  expect_error("--config " + good + " --set train.lrr=1",
               good +
                   ": train.lrr: unknown key (expected one of batch_graphs, "
                   "checkpoint_every, device, early_stopping, epochs, lr, "
                   "on_nonfinite, patience, precision, resume, run_dir, seed, "
                   "seeds, threads, weight_decay)");
  expect_error("--config " + good + " --set model.heads=[8,x]",
               good + ": model.heads[1]: expected an integer, got \"x\"");
  expect_error("--config " + good + " --set train.lr=-1", good + ": train.lr: expected a number > 0, got -1");
  expect_error("--config " + good + " --set train.precision=tf32",
               "train.precision: tf32 is for a GPU's cuBLAS (train.device: cuda); the CPU has no TF32, use fp32");
  const std::string broken = write_config("data: {path: " + kData + "\n");
  const Outcome o = run("--config " + broken);
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_EQ(o.err.rfind("gat_train: error: " + broken + ":2:1: YAML syntax error: ", 0), 0u) << o.err;
  EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1);
}

// Each file of tests/bad_inputs/configs starts with "# expect: MESSAGE", {file} standing for its
// path: gat_train must exit with 2 and exactly that line, print nothing on stdout, and create no
// run directory.
TEST_F(GatTrainCli, BadConfigCorpusGetsItsExactErrorsAndWritesNothing) {
  const fs::path corpus = fs::path(GAT_SOURCE_DIR) / "tests" / "bad_inputs" / "configs";
  std::vector<fs::path> files;
  for (const std::string& name : gat::testing::list_dir(corpus.string())) files.push_back(corpus / name);
  ASSERT_GE(files.size(), 30u);
  const std::string header = "# expect: ";
  const fs::path run_dir = dir_ / "run";
  for (const fs::path& file : files) {
    const std::string text = read(file);
    ASSERT_EQ(text.rfind(header, 0), 0u) << file << " has no expected error";
    std::string expected = text.substr(header.size(), text.find('\n') - header.size());
    expected.replace(expected.find("{file}"), 6, file.string());
    expect_error("--config " + file.string() + " --set train.run_dir=" + run_dir.string(), expected);
    EXPECT_FALSE(fs::exists(run_dir)) << file;
  }
}

TEST_F(GatTrainCli, BadDataInputs) {
  const fs::path not_h5 = dir_ / "not.h5";
  std::ofstream(not_h5) << "plain text";
  const Outcome o = run("--config " + write_config("data: {path: " + not_h5.string() + "}\n") + " --log-level off");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_EQ(o.err.rfind("gat_train: error: " + not_h5.string() + ": ", 0), 0u) << o.err;
  EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1) << o.err;
  const Outcome missing = run("--config " + write_config("data: {path: /nonexistent.h5}\n") + " --log-level off");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(missing.err.rfind("gat_train: error: /nonexistent.h5: ", 0), 0u) << missing.err;
}

TEST_F(GatTrainCli, EachKindOfBadHdf5ExitsWithItsLine) {
  using gat::testing::GraphFileSpec;
  const std::string data = (dir_ / "d.h5").string();
  const std::string config = write_config("data: {path: " + data + "}\n");
  std::vector<std::pair<GraphFileSpec, std::string>> cases;
  GraphFileSpec s;
  s.datasets["/edge_index"][1][3] = 9;
  cases.push_back({s, "/edge_index: node id 9 in column 3 is out of range [0, 5)"});
  s = {};
  s.datasets["/labels"] = torch::zeros({4}, torch::kInt64);
  cases.push_back({s, "/labels: expected shape [5] (one class per node), got [4]"});
  s = {};
  s.datasets.erase("/splits/test");
  cases.push_back({s, "/splits/test: missing"});
  s = {};
  s.datasets["/features"] = s.datasets["/features"].to(torch::kFloat64);
  cases.push_back({s, "/features: expected float32, got float64"});
  s = {};
  s.datasets["/features"][1][1] = NAN;
  cases.push_back({s, "/features: expected finite values, got nan at row 1, column 1"});
  for (const auto& [spec, line] : cases) {
    gat::testing::write_graph_file(data, spec);
    expect_error("--config " + config + " --log-level off", data + ": " + line);
  }
}

TEST_F(GatTrainCli, AnUnknownCpuCapabilityStopsTheRunBeforeItWritesAnything) {
  const std::string run_dir = (dir_ / "run").string();
  const std::string c = write_config("data: {path: " + kData + "}\ntrain: {run_dir: " + run_dir + "}\n");
  const Outcome o = run("--config " + c, "gat_train", "GAT_CPU_CAPABILITY=sse9 ");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_EQ(o.err, "gat_train: error: GAT_CPU_CAPABILITY: expected baseline or avx2, got 'sse9'\n");
  EXPECT_FALSE(fs::exists(run_dir));
}

// A full disk or a quota (here a file size limit of 4 KiB, with SIGXFSZ ignored so that writes
// fail instead of killing the process) ends the run with one line naming the file it could not
// write, whichever file that is, and leaves no temporary behind. LibTorch's own file writer
// used to abort the process from a destructor instead.
TEST_F(GatTrainCli, AFullDiskEndsTheRunWithOneLineNamingTheFile) {
  const std::string full_disk = "trap '' XFSZ; prlimit --fsize=4096 ";  // run()'s shell, then the tool
  const std::string c = write_config("data: {path: " + kData + "}\ntrain: {seeds: 1, patience: 1000}\n");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"--set train.epochs=100 --set train.checkpoint_every=0", "metrics.jsonl"},  // 36 lines fit
      {"--set train.epochs=3 --set train.checkpoint_every=0", "best.pt"},
      {"--set train.epochs=3 --set train.checkpoint_every=1", "checkpoint.pt"}};
  for (const auto& [sets, file] : cases) {
    const std::string run_dir = (dir_ / ("run_" + file)).string();
    const Outcome o =
        run("--config " + c + " --log-level warn --set train.run_dir=" + run_dir + " " + sets, "gat_train", full_disk);
    EXPECT_EQ(o.exit_code, 2) << sets;
    EXPECT_EQ(o.err, "gat_train: error: " + run_dir + "/" + file + ": cannot write: File too large\n") << sets;
    // metrics.jsonl holds whole lines only: the one that did not fit is gone entirely.
    const std::string metrics = read(fs::path(run_dir) / "metrics.jsonl");
    EXPECT_TRUE(metrics.empty() || metrics.back() == '\n') << sets;
    std::istringstream lines(metrics);
    for (std::string line; std::getline(lines, line);)
      EXPECT_NO_THROW(nlohmann::json::parse(line)) << sets << ": " << line;
    for (const std::string& name : gat::testing::list_dir(run_dir))
      EXPECT_EQ(name.find(".tmp."), std::string::npos) << sets << ": " << name;
    EXPECT_FALSE(fs::exists(run_dir + "/best.pt")) << sets;
  }
  // gat_explain's attention file likewise (HDF5 reports a full disk only when it closes a file).
  const std::string model_dir = (dir_ / "model").string();
  ASSERT_EQ(run("--config " + c + " --log-level warn --set train.epochs=2 --set train.run_dir=" + model_dir).exit_code,
            0);
  const Outcome o = run("--checkpoint " + model_dir + "/best.pt", "gat_explain", full_disk);
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_EQ(o.err, "gat_explain: error: " + model_dir + "/attention.h5: cannot write: File too large\n");
  EXPECT_EQ(gat::testing::list_dir(model_dir),
            (std::vector<std::string>{".gat-run", "best.pt", "config.yaml", "metrics.jsonl", "results.json"}));
}

// gat_bench --trace: one step marker per timed step on the host's timeline, the steps' LibTorch ops
// inside them, every event a complete one with a start and a duration; with --trace-shapes, the
// ops' input shapes. A trace it cannot write is one line naming the file.
TEST_F(GatTrainCli, GatBenchTraceHoldsEachTimedStepAndItsOps) {
  const std::string c = write_config("data: {path: " + kData + "}\n");
  const std::string trace = (dir_ / "trace.json").string();
  const Outcome o = run("--config " + c + " --steps 3 --warmup 1 --threads 1 --trace " + trace, "gat_bench");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(nlohmann::json::parse(o.out)["steps"], 3);
  const nlohmann::json events = nlohmann::json::parse(read(trace))["traceEvents"];
  std::vector<std::pair<double, double>> steps;
  int mm_in_steps = 0;
  for (const auto& e : events) {
    ASSERT_EQ(e["ph"], "X");
    ASSERT_GE(e["dur"].get<double>(), 0);
    if (e["name"] == "gat_bench_step" && e["pid"] == "host")
      steps.emplace_back(e["ts"].get<double>(), e["ts"].get<double>() + e["dur"].get<double>());
  }
  ASSERT_EQ(steps.size(), 3u);
  for (const auto& e : events)
    for (const auto& [t0, t1] : steps)
      if (e["name"] == "aten::mm" && e["ts"].get<double>() >= t0 && e["ts"].get<double>() < t1) ++mm_in_steps;
  EXPECT_GE(mm_in_steps, 3);  // every step multiplies
  // Every host op has its own correlation id (a GPU kernel names its op by it); shapes only when asked.
  std::set<uint64_t> ids;
  for (const auto& e : events) {
    ASSERT_TRUE(e["args"].contains("correlation")) << e.dump();
    ids.insert(e["args"]["correlation"].get<uint64_t>());
    EXPECT_FALSE(e["args"].contains("shapes")) << e.dump();
  }
  EXPECT_EQ(ids.size(), events.size());

  // --trace-shapes: each product's two operands, as matrices.
  const Outcome shaped =
      run("--config " + c + " --steps 1 --warmup 1 --threads 1 --trace " + trace + " --trace-shapes", "gat_bench");
  ASSERT_EQ(shaped.exit_code, 0) << shaped.err;
  int mm_with_shapes = 0;
  const nlohmann::json shaped_events = nlohmann::json::parse(read(trace))["traceEvents"];
  for (const auto& e : shaped_events)
    if (e["name"] == "aten::mm") {
      ASSERT_TRUE(e["args"].contains("shapes")) << e.dump();
      const auto shapes = e["args"]["shapes"].get<std::vector<std::vector<int64_t>>>();
      ASSERT_EQ(shapes.size(), 2u) << e.dump();
      EXPECT_EQ(shapes[0].size(), 2u) << e.dump();
      EXPECT_EQ(shapes[0][1], shapes[1][0]) << e.dump();
      ++mm_with_shapes;
    }
  EXPECT_GE(mm_with_shapes, 1);
  const Outcome shapes_alone = run("--config " + c + " --steps 1 --trace-shapes", "gat_bench");
  EXPECT_EQ(shapes_alone.exit_code, 2);
  EXPECT_EQ(shapes_alone.err, "gat_bench: error: --trace-shapes requires --trace\n");

  const std::string unwritable = (dir_ / "no_such_dir" / "trace.json").string();
  const Outcome bad = run("--config " + c + " --steps 1 --warmup 0 --threads 1 --trace " + unwritable, "gat_bench");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_EQ(std::count(bad.err.begin(), bad.err.end(), '\n'), 1) << bad.err;
  EXPECT_NE(bad.err.find(unwritable), std::string::npos) << bad.err;
  EXPECT_FALSE(fs::exists(unwritable));
}

// gat_bench --scale: one JSON line per size, 1x to 8x the nodes of every graph, each with the steps
// asked for (its timed steps interleave with the other sizes' but are its own), and a peak memory
// that grows with the size.
TEST_F(GatTrainCli, GatBenchScaleTimesEachSizeOnItsOwnBatch) {
  const std::string c = write_config("data: {path: " + kData + "}\n");
  const Outcome o =
      run("--config " + c + " --graphs 2 --nodes 30 --degree 3 --steps 3 --warmup 1 --threads 1 --scale", "gat_bench");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  std::istringstream lines(o.out);
  std::vector<nlohmann::json> results;
  for (std::string line; std::getline(lines, line);) results.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(results.size(), 4u) << o.out;
  for (std::size_t s = 0; s < results.size(); ++s) {
    const nlohmann::json& r = results[s];
    const int64_t factor = int64_t{1} << s;
    EXPECT_EQ(r["scale"], factor);
    EXPECT_EQ(r["nodes"], 2 * 30 * factor);
    EXPECT_EQ(r["steps"], 3);
    EXPECT_GT(r["median_step_s"].get<double>(), 0);
    EXPECT_LE(r["min_step_s"].get<double>(), r["median_step_s"].get<double>());
    if (s > 0) {
      EXPECT_GT(r["edges"].get<int64_t>(), results[s - 1]["edges"].get<int64_t>());
      EXPECT_GE(r["peak_rss_mb"].get<double>(), results[s - 1]["peak_rss_mb"].get<double>());
    }
  }
}

// gat_bench --reference-matmul: each timed step is priced at the product's rate measured right
// before it, so the step's work at that rate over the rate is a step's time again (within the
// steps' spread); 0 is refused, and so is a trace, whose timeline the products would cross.
TEST_F(GatTrainCli, GatBenchReferenceMatmulPricesEachStepAtTheRateBeforeIt) {
  const std::string c = write_config("data: {path: " + kData + "}\n");
  const Outcome o = run("--config " + c + " --steps 3 --warmup 1 --threads 1 --reference-matmul 64", "gat_bench");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const nlohmann::json r = nlohmann::json::parse(o.out);
  EXPECT_EQ(r["reference_matmul"], 64);
  const double rate = r["median_reference_gflops"].get<double>(), work = r["median_step_gflop_at_reference"];
  ASSERT_GT(rate, 0);
  const double step = r["median_step_s"];
  EXPECT_GT(work / rate, 0.25 * step);
  EXPECT_LT(work / rate, 4 * step);

  const Outcome zero = run("--config " + c + " --steps 1 --reference-matmul 0", "gat_bench");
  EXPECT_EQ(zero.exit_code, 2);
  EXPECT_EQ(zero.err, "gat_bench: error: --reference-matmul: expected a whole number of at least 1, got 0\n");
  const Outcome traced =
      run("--config " + c + " --steps 1 --reference-matmul 64 --trace " + (dir_ / "t.json").string(), "gat_bench");
  EXPECT_EQ(traced.exit_code, 2);
  EXPECT_EQ(traced.err, "gat_bench: error: --reference-matmul excludes --trace\n");
}

// Arguments CLI11 refuses get the one line every input error gets, with no pointer to --help after
// it; --help itself prints the usage and succeeds.
TEST_F(GatTrainCli, BadArguments) {
  const std::string c = write_config("data: {path: " + kData + "}\n");
  expect_error("--config " + c + " --no-such-flag", "The following argument was not expected: --no-such-flag");
  expect_error("", "--config is required");
  const Outcome help = run("--help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--config"), std::string::npos);
  EXPECT_TRUE(help.err.empty());
  expect_error("--config " + c + " --log-level loud",
               "--log-level: expected one of trace, debug, info, warn, error, off, got \"loud\"");
}

TEST_F(GatTrainCli, SuccessfulRunEndsWithResultsJson) {
  const std::string config =
      write_config("data: {path: " + kData + "}\ntrain: {epochs: 3, run_dir: " + (dir_ / "run").string() + "}\n");
  const Outcome o = run("--config " + config + " --set train.seeds=1");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const std::string last = o.out.substr(o.out.rfind('\n', o.out.size() - 2) + 1);
  const nlohmann::json r = nlohmann::json::parse(last);
  EXPECT_EQ(r["epochs"], 3);
  EXPECT_EQ(r, nlohmann::json::parse(read(dir_ / "run" / "results.json")));
}

// The AVX2 and the baseline attention kernels do the same float operations in the same order, so a
// run trains the same model on either, to the last bit (two threads, dropout on).
TEST_F(GatTrainCli, BaselineAndAvx2KernelsTrainTheSameModel) {
  if (gat::ops::cpu_kernels() != "avx2") GTEST_SKIP() << "this CPU has no AVX2";
  std::map<std::string, std::string> best, results;
  for (const std::string kernels : {"baseline", "avx2"}) {
    const std::string run_dir = (dir_ / kernels).string();
    const std::string config = write_config("data: {path: " + kData + "}\nmodel: {heads: [4, 1], dropout: 0.3}\n" +
                                            "train: {epochs: 10, threads: 2, run_dir: " + run_dir + "}\n");
    const Outcome o =
        run("--config " + config + " --log-level off", "gat_train", "GAT_CPU_CAPABILITY=" + kernels + " ");
    ASSERT_EQ(o.exit_code, 0) << o.err;
    best[kernels] = read(fs::path(run_dir) / "best.pt");
    results[kernels] = kept_scores(run_dir);
  }
  EXPECT_FALSE(best["avx2"].empty());
  EXPECT_TRUE(best["avx2"] == best["baseline"]);
  EXPECT_EQ(results["avx2"], results["baseline"]);
}

// keep_freed_memory only changes speed: where the allocator refuses its mallopt settings (as
// AddressSanitizer's does), a run warns once and trains the same model to the last bit.
TEST_F(GatTrainCli, AnAllocatorThatRefusesMalloptTrainsTheSameModelWithOneWarning) {
  if (gat::testing::kAddressSanitizer) GTEST_SKIP() << "AddressSanitizer's allocator refuses mallopt in both runs";
  std::map<std::string, std::string> best, results;
  for (const std::string allocator : {"glibc", "refusing"}) {
    const std::string run_dir = (dir_ / allocator).string();
    const std::string config =
        write_config("data: {path: " + kData + "}\ntrain: {epochs: 3, run_dir: " + run_dir + "}\n");
    const std::string preload = allocator == "refusing" ? "LD_PRELOAD=" GAT_REFUSING_MALLOPT " " : "";
    const Outcome o = run("--config " + config + " --log-level warn", "gat_train", preload);
    ASSERT_EQ(o.exit_code, 0) << o.err;
    EXPECT_EQ(o.err, allocator == "glibc" ? ""
                                          : "[rank 0] this process's allocator refused mallopt(M_MMAP_MAX, 0): freed "
                                            "tensor memory goes back to the system, and each step pays page faults "
                                            "to get it again (docs/performance.md)\n");
    best[allocator] = read(fs::path(run_dir) / "best.pt");
    results[allocator] = kept_scores(run_dir);
  }
  EXPECT_FALSE(best["glibc"].empty());
  EXPECT_TRUE(best["glibc"] == best["refusing"]);
  EXPECT_EQ(results["glibc"], results["refusing"]);
}

// gat_eval on the model a run kept gives the scores the run reported for it, to the last bit.
TEST_F(GatTrainCli, GatEvalScoresTheKeptModelAsTheRunDid) {
  const std::string run_dir = (dir_ / "run").string();
  const std::string config = write_config("data: {path: " + kData + "}\nmodel: {heads: [4, 1]}\n" +
                                          "train: {epochs: 20, threads: 1, run_dir: " + run_dir + "}\n");
  ASSERT_EQ(run("--config " + config + " --log-level off").exit_code, 0);
  const nlohmann::json r = nlohmann::json::parse(read(dir_ / "run" / "results.json"));
  for (const char* split : {"test", "val"}) {
    const Outcome o = run("--checkpoint " + run_dir + "/best.pt --split " + split, "gat_eval");
    ASSERT_EQ(o.exit_code, 0) << o.err;
    const nlohmann::json e = nlohmann::json::parse(o.out);
    EXPECT_EQ(e["metric"], "accuracy");
    EXPECT_EQ(e["split"], split);
    EXPECT_EQ(e["value"].get<double>(), r[split].get<double>()) << split;
  }
}

TEST_F(GatTrainCli, GatEvalRejectsMissingFilesAndAModelOfAnotherShape) {
  const std::string run_dir = (dir_ / "run").string();
  const std::string config = write_config("data: {path: " + kData + "}\nmodel: {heads: [4, 1]}\n" +
                                          "train: {epochs: 2, run_dir: " + run_dir + "}\n");
  ASSERT_EQ(run("--config " + config + " --log-level off").exit_code, 0);
  const std::string best = run_dir + "/best.pt";
  auto expect_eval_error = [&](const std::string& args, const std::string& line) {
    const Outcome o = run(args, "gat_eval");
    EXPECT_EQ(o.exit_code, 2) << args;
    EXPECT_EQ(o.err, "gat_eval: error: " + line + "\n") << args;
    EXPECT_TRUE(o.out.empty());
  };
  expect_eval_error(
      "--checkpoint " + best + " --set model.heads=[2,1]",
      best + ": layers.0.att_src: expected shape [1, 2, 8] (the model of the config and data), got [1, 4, 8]");
  expect_eval_error("--checkpoint /nonexistent/best.pt", "/nonexistent/config.yaml: cannot read config file");
  expect_eval_error("--checkpoint /nonexistent/best.pt --config " + config, "/nonexistent/best.pt: no such file");
  expect_eval_error("--checkpoint " + config + " --config " + config,
                    config + ": no checksum at its end (cut short, or not written by this version of gat_train)");
  EXPECT_EQ(run("--checkpoint " + best + " --split everything", "gat_eval").exit_code, 2);
}

// gat_explain writes every layer's alpha over the graph's edges, self loops included: one value
// per edge and head, summing to 1 over each node's incoming edges.
TEST_F(GatTrainCli, GatExplainWritesEachLayersAttentionPerEdgeAndHead) {
  const std::string run_dir = (dir_ / "run").string();
  const std::string config = write_config("data: {path: " + kData + "}\nmodel: {heads: [4, 2]}\n" +
                                          "train: {epochs: 2, run_dir: " + run_dir + "}\n");
  ASSERT_EQ(run("--config " + config + " --log-level off").exit_code, 0);
  const Outcome o = run("--checkpoint " + run_dir + "/best.pt", "gat_explain");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const std::string out = run_dir + "/attention.h5";
  EXPECT_EQ(nlohmann::json::parse(o.out),
            nlohmann::json::parse(R"({"graphs": [0], "layers": 2, "out": ")" + out + "\"}"));

  const gat::data::H5File file(out, gat::data::H5File::Mode::kRead);
  EXPECT_EQ(file.string_attribute("/", "format"), "gat-attention");
  EXPECT_EQ(file.int_attribute("/", "version"), 1);
  const int64_t n = file.int_attribute("/graphs/0", "nodes").value();
  const gat::data::H5File data(kData, gat::data::H5File::Mode::kRead);
  EXPECT_EQ(n, data.shape("/features")[0]);
  const torch::Tensor edges = file.read("/graphs/0/edge_index");
  const torch::Tensor stored = data.read("/edge_index");
  ASSERT_EQ(edges.size(1), stored.size(1) + n);  // the stored edges and one self loop per node
  for (const auto& [layer, heads] : {std::pair{"layer_0", 4}, std::pair{"layer_1", 2}}) {
    const torch::Tensor alpha = file.read(std::string("/graphs/0/") + layer);
    ASSERT_EQ(alpha.sizes(), torch::IntArrayRef({edges.size(1), heads})) << layer;
    const torch::Tensor sums = torch::zeros({n, heads}).index_add(0, edges[1], alpha);
    EXPECT_LT((sums - 1).abs().max().item<float>(), 1e-5) << layer;
  }

  const Outcome bad =
      run("--checkpoint " + run_dir + "/best.pt --graphs 3 --out " + (dir_ / "a.h5").string(), "gat_explain");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.err, "gat_explain: error: " + kData + ": graph 3 is out of range [0, 1)\n");
  EXPECT_FALSE(fs::exists(dir_ / "a.h5"));
  EXPECT_EQ(run("--checkpoint " + run_dir + "/best.pt --graphs 0 --split val", "gat_explain").exit_code, 2);
}

// A split without nodes: training needs train and val nodes (exit 2, one line naming the split);
// without test nodes the run reports no test score and says why (docs/data_format.md).
TEST_F(GatTrainCli, EmptySplitsAreRefusedOrLeaveTheirScoreOut) {
  using gat::testing::GraphFileSpec;
  const std::string data = (dir_ / "d.h5").string();
  const torch::Tensor none = torch::empty({0}, torch::kInt64);
  for (const bool node_level : {false, true}) {
    const std::string run_dir = (dir_ / (node_level ? "node_run" : "graph_run")).string();
    const std::string config =
        write_config("data: {path: " + data + "}\ntrain: {epochs: 2, run_dir: " + run_dir + "}\n");
    for (const char* split : {"train", "val"}) {
      GraphFileSpec s;
      if (node_level) s.node_splits();
      s.datasets[std::string("/splits/") + split] = none;
      gat::testing::write_graph_file(data, s);
      expect_error("--config " + config + " --log-level off",
                   data + ": /splits/" + split +
                       (split == std::string("train")
                            ? ": expected nodes to train on, got an empty split"
                            : ": expected nodes to validate on (early stopping and the kept model depend on them), got "
                              "an empty split"));
      EXPECT_FALSE(fs::exists(run_dir)) << split;
    }
    GraphFileSpec s;
    if (node_level) s.node_splits();
    s.datasets["/splits/test"] = none;
    gat::testing::write_graph_file(data, s);
    const Outcome o = run("--config " + config + " --log-level warn");
    ASSERT_EQ(o.exit_code, 0) << o.err;
    EXPECT_EQ(o.err, "[rank 0] " + data + ": /splits/test is empty: the results hold no test score\n");
    const nlohmann::json r = nlohmann::json::parse(read(fs::path(run_dir) / "results.json"));
    EXPECT_EQ(r["test_absent"], data + ": /splits/test is empty");
    for (const char* key : {"test", "test_mean", "test_std"}) EXPECT_FALSE(r.contains(key)) << key;
    EXPECT_FALSE(r["runs"][0].contains("test"));
    EXPECT_TRUE(r["runs"][0].contains("val"));
    const Outcome eval = run("--checkpoint " + run_dir + "/best.pt --split test", "gat_eval");
    EXPECT_EQ(eval.exit_code, 2);
    EXPECT_EQ(eval.err, "gat_eval: error: " + data + ": /splits/test: expected nodes to score, got an empty split\n");
  }
}

// Issue 19, case 7: gat_eval refuses a model whose saved parameters the config's model lacks (here
// the biases, with model.bias=false), and data of another task than the model's, though the shapes
// agree (a multilabel file of the multiclass training file's features and classes).
TEST_F(GatTrainCli, GatEvalRefusesParametersTheConfigLacksAndDataOfAnotherTask) {
  using gat::testing::GraphFileSpec;
  const std::string multiclass = (dir_ / "multiclass.h5").string(), multilabel = (dir_ / "multilabel.h5").string();
  gat::testing::write_graph_file(multiclass, GraphFileSpec());
  gat::testing::write_graph_file(multilabel, GraphFileSpec().multilabel());
  const std::string run_dir = (dir_ / "run").string(), best = run_dir + "/best.pt";
  const std::string config = write_config("data: {path: " + multiclass + "}\nmodel: {heads: [2, 1]}\n" +
                                          "train: {epochs: 2, seeds: 1, run_dir: " + run_dir + "}\n");
  ASSERT_EQ(run("--config " + config + " --log-level off").exit_code, 0);
  ASSERT_EQ(run("--checkpoint " + best, "gat_eval").exit_code, 0);
  for (const auto& [args, line] : std::vector<std::pair<std::string, std::string>>{
           {"--set model.bias=false",
            best + ": layers.0.bias: saved, but the model of the config has no such parameter"},
           {"--data " + multilabel, best + ": a model for a multiclass task, but " + multilabel + " is multilabel"}}) {
    const Outcome o = run("--checkpoint " + best + " " + args, "gat_eval");
    EXPECT_EQ(o.exit_code, 2) << args;
    EXPECT_EQ(o.err, "gat_eval: error: " + line + "\n") << args;
    EXPECT_TRUE(o.out.empty()) << args;
  }
}

// Issue 19, cases 5 (threads), 6 and 9: input that exhausted resources, blocked or misled.

// `text` with every `from` replaced by `to`.
std::string replaced(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

// Each recipe tests/bad_inputs/graphs/NN_name.py writes the data file named by its argument and
// starts with "# expect: MESSAGE" ({file}: that file; {memory}: this machine's memory as the tools
// state it). gat_train on it must exit with 2 and exactly that line, and create no run directory.
TEST_F(GatTrainCli, BadGraphCorpusGetsItsExactErrorsAndWritesNothing) {
  const fs::path corpus = fs::path(GAT_SOURCE_DIR) / "tests" / "bad_inputs" / "graphs";
  const std::string header = "# expect: ", memory = gat::human_bytes(gat::available_memory_bytes());
  const fs::path run_dir = dir_ / "run";
  int recipes = 0;
  for (const std::string& name : gat::testing::list_dir(corpus.string())) {
    if (name.size() < 6 || !std::isdigit(name[0]) || !std::isdigit(name[1]) || fs::path(name).extension() != ".py")
      continue;  // _small_graph.py and the like are the recipes' helpers
    ++recipes;
    const fs::path recipe = corpus / name;
    const std::string data = (dir_ / (fs::path(name).stem().string() + ".h5")).string();
    // -B: no __pycache__ in the source tree.
    ASSERT_EQ(std::system((std::string(GAT_PYTHON) + " -B " + recipe.string() + " " + data).c_str()), 0) << recipe;
    const std::string text = read(recipe);
    ASSERT_EQ(text.rfind(header, 0), 0u) << recipe << " has no expected error";
    const std::string expected = replaced(
        replaced(text.substr(header.size(), text.find('\n') - header.size()), "{file}", data), "{memory}", memory);
    const std::string config = write_config("data: {path: " + data + "}\ntrain: {run_dir: " + run_dir.string() + "}\n");
    expect_error("--config " + config + " --log-level off", expected);
    EXPECT_FALSE(fs::exists(run_dir)) << recipe;
  }
  EXPECT_GE(recipes, 6);
}

// Cluster steps need a partitioned file (version 2) with at least q clusters.
TEST_F(GatTrainCli, ClusterStepsNeedAPartitionWithEnoughClusters) {
  const fs::path run_dir = dir_ / "run";
  const std::string clusters = std::string(GAT_TEST_DATA) + "/clusters.h5";
  const std::string config = write_config("data: {path: " + kData + "}\ntrain: {run_dir: " + run_dir.string() + "}\n");
  expect_error("--config " + config + " --set data.clusters_per_batch=2 --log-level off",
               kData +
                   ": data.clusters_per_batch: 2 needs a partitioned graph (a version-2 file, from gat_data.py "
                   "partition)");
  expect_error(
      "--config " + config + " --set data.path=" + clusters + " --set data.clusters_per_batch=13 --log-level off",
      clusters + ": data.clusters_per_batch: expected at most the file's 12 clusters, got 13");
  EXPECT_FALSE(fs::exists(run_dir));
}

TEST_F(GatTrainCli, ThreadsAreBoundedByTheCores) {
  const std::string most = std::to_string(gat::kMaxThreadsPerCore * gat::available_cores());
  const std::string bound = "expected at most " + most + " threads (" + std::to_string(gat::kMaxThreadsPerCore) +
                            " per core this process may use, " + std::to_string(gat::available_cores()) +
                            "), got 10000";
  const fs::path run_dir = dir_ / "run";
  const std::string config = write_config("data: {path: " + kData + "}\ntrain: {run_dir: " + run_dir.string() + "}\n");
  expect_error("--config " + config + " --set train.threads=10000 --log-level off", "train.threads: " + bound);
  EXPECT_FALSE(fs::exists(run_dir));
  for (const std::string tool : {"gat_eval", "gat_explain", "gat_bench"}) {
    const std::string args =
        tool == "gat_bench" ? "--config " + config : "--checkpoint /nonexistent/best.pt --config " + config;
    const Outcome o = run(args + " --threads 10000", tool);
    EXPECT_EQ(o.exit_code, 2) << tool;
    EXPECT_EQ(o.err, tool + ": error: --threads: " + bound + "\n");
  }
}

TEST_F(GatTrainCli, AModelBeyondMemoryNamesItsKey) {
  const std::string memory = gat::human_bytes(gat::available_memory_bytes());
  const fs::path run_dir = dir_ / "run";
  const std::string config = write_config("data: {path: " + kData + "}\ntrain: {run_dir: " + run_dir.string() + "}\n");
  expect_error("--config " + config + " --set model.heads=[1000000000,1] --log-level off",
               "model.heads[0]: expected a model that fits in memory, got 1000000000 heads of 8 features: training it "
               "on 300 nodes needs at least 30.7 TiB, more than the " +
                   memory + " of memory of this machine");
  EXPECT_FALSE(fs::exists(run_dir));
  const Outcome o =
      run("--checkpoint /nonexistent/best.pt --config " + config + " --set model.hidden=[1000000000000]", "gat_eval");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_EQ(o.err,
            "gat_eval: error: model.hidden[0]: expected a model that fits in memory, got 1000000000000 features "
            "in each of 8 heads: running it on 300 nodes needs at least 18.2 PiB, more than the " +
                memory + " of memory of this machine\n");
}

TEST_F(GatTrainCli, ADirectoryOrAFifoIsRefusedBeforeItIsOpened) {
  const fs::path run_dir = dir_ / "run";
  expect_error("--config " + dir_.string(), dir_.string() + ": expected a YAML config file, got a directory");
  expect_error("--config /dev/zero", "/dev/zero: expected a YAML config file, got a character device");
  const std::string fifo = (dir_ / "fifo.h5").string();
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  for (const std::string& data : {fifo, dir_.string()}) {
    const std::string config = write_config("data: {path: " + data + "}\ntrain: {run_dir: " + run_dir.string() + "}\n");
    // `timeout`: the old code blocked for ever in HDF5's open of the FIFO.
    const Outcome o = run("--config " + config + " --log-level off", "gat_train", "timeout 60 ");
    EXPECT_EQ(o.exit_code, 2);
    EXPECT_EQ(o.err, "gat_train: error: " + data + ": expected an HDF5 file, got " +
                         (data == fifo ? "a FIFO (named pipe)" : "a directory") + "\n");
    EXPECT_FALSE(fs::exists(run_dir));
  }
  const std::string config = write_config("data: {path: " + kData + "}\n");
  const std::string expected =
      dir_.string() + ": expected a model saved by gat_train (RUN_DIR/best.pt), got a directory\n";
  for (const std::string& args :
       {"--checkpoint " + dir_.string(), "--checkpoint " + dir_.string() + " --config " + config}) {
    const Outcome o = run(args, "gat_eval");
    EXPECT_EQ(o.exit_code, 2) << args;
    EXPECT_EQ(o.err, "gat_eval: error: " + expected) << args;
  }
}

TEST_F(GatTrainCli, GatExplainRefusesAGraphGivenTwice) {
  const std::string config = write_config("data: {path: " + kData + "}\n");
  const std::string out = (dir_ / "a.h5").string();
  const Outcome o =
      run("--checkpoint /nonexistent/best.pt --config " + config + " --graphs 0 0 --out " + out, "gat_explain");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_EQ(o.err, "gat_explain: error: --graphs: graph 0 is given twice; expected distinct graph ids\n");
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
