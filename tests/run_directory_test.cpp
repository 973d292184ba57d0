// The run directory: marked, locked by one live run, cleaned only of gat_train's own files.
#include "train/run_directory.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "common/atomic_file.h"
#include "support/error_of.h"
#include "support/graph_file.h"

namespace {

using gat::train::RunDirectory;

// The line that taking `dir` for a run is refused with, or "(no error)".
std::string error_of(const std::string& dir) {
  return gat::testing::error_of([&] { RunDirectory run(dir); });
}

std::string this_host() {
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  return name;
}

class RunDirectoryTest : public ::testing::Test {
 protected:
  void touch(const std::string& name) { std::ofstream(tmp_.file(name)) << "x"; }
  gat::testing::TempDir tmp_;
};

TEST_F(RunDirectoryTest, ANewDirectoryIsCreatedAndMarked) {
  const std::string dir = tmp_.file("a/b");
  RunDirectory run(dir);
  EXPECT_EQ(gat::testing::list_dir(dir), std::vector<std::string>{".gat-run"});
  EXPECT_EQ(gat::read_whole_file(dir + "/.gat-run"),
            "pid " + std::to_string(::getpid()) + " on host " + this_host() + "\n");
}

TEST_F(RunDirectoryTest, AnEmptyDirectoryIsTaken) {
  const std::string dir = tmp_.file("empty");
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  RunDirectory run(dir);
  EXPECT_EQ(gat::testing::list_dir(dir), std::vector<std::string>{".gat-run"});
}

TEST_F(RunDirectoryTest, ADirectoryWithFilesButNoMarkerIsRefusedAndLeftAsItWas) {
  touch("thesis.tex");
  EXPECT_EQ(error_of(tmp_.path()), tmp_.path() +
                                       ": train.run_dir: not empty and not a gat_train run directory (it has no "
                                       ".gat-run); choose a new or empty directory");
  EXPECT_EQ(gat::testing::list_dir(tmp_.path()), std::vector<std::string>{"thesis.tex"});
  EXPECT_EQ(error_of("/"),
            "/: train.run_dir: not empty and not a gat_train run directory (it has no .gat-run); choose a "
            "new or empty directory");
  EXPECT_EQ(error_of(tmp_.file("thesis.tex")),
            tmp_.file("thesis.tex") + ": train.run_dir: expected a directory, got a file");
}

TEST_F(RunDirectoryTest, ADirectoryThatALiveRunHoldsIsRefusedNamingThatRun) {
  const std::string dir = tmp_.file("run");
  std::optional<RunDirectory> first(dir);
  EXPECT_EQ(error_of(dir), dir + ": train.run_dir: in use by another run (pid " + std::to_string(::getpid()) +
                               " on host " + this_host() + "); wait for it to end or choose another directory");
  first.reset();  // the run ends: its lock goes with it, the marker stays
  EXPECT_EQ(error_of(dir), "(no error)");
}

TEST_F(RunDirectoryTest, ClearingRemovesOnlyWhatGatTrainWrites) {
  std::optional<RunDirectory> run(tmp_.path());
  for (const char* name : {"best.pt", "results.json", "checkpoint.pt", "checkpoint.prev.pt", "config.yaml",
                           "metrics.jsonl", "best.pt.tmp.77", "notes.txt", "data.tmp.12", "attention.h5"})
    touch(name);
  EXPECT_EQ(run->clear_earlier_run(/*resuming=*/true), std::vector<std::string>{"best.pt.tmp.77"});
  EXPECT_EQ(run->clear_earlier_run(/*resuming=*/false),
            (std::vector<std::string>{"best.pt", "results.json", "checkpoint.pt", "checkpoint.prev.pt"}));
  EXPECT_EQ(gat::testing::list_dir(tmp_.path()),
            (std::vector<std::string>{".gat-run", "attention.h5", "config.yaml", "data.tmp.12", "metrics.jsonl",
                                      "notes.txt"}));
}

}  // namespace
