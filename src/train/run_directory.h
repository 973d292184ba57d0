// The run directory (train.run_dir): marked as gat_train's, held by one live run, cleaned only of
// what gat_train writes there.
#pragma once

#include <string>
#include <vector>

namespace gat::train {

// What a run writes in its directory, each file complete or absent.
inline constexpr const char* kRunConfig = "config.yaml";
inline constexpr const char* kRunMetrics = "metrics.jsonl";
inline constexpr const char* kRunKeptModel = "best.pt";
inline constexpr const char* kRunResults = "results.json";
inline constexpr const char* kRunCheckpoint = "checkpoint.pt";
inline constexpr const char* kRunPreviousCheckpoint = "checkpoint.prev.pt";
// The marker that makes a directory gat_train's, and the lock a live run holds on it. It holds the
// pid and host of the run that last held it, for the message that refuses a second run.
inline constexpr const char* kRunMarker = ".gat-run";

// Opens `dir` for a run, before anything is written there: creates it, or takes an existing one
// that is empty or holds the marker, and locks the marker (flock) for as long as this object
// lives. Throws gat::Error, naming the directory, for one that is not empty and not marked
// (`/`, a home directory, another tool's output) and for one that a live run holds, naming that
// run's pid and host. The lock goes with the process, so a killed run never leaves it behind.
class RunDirectory {
 public:
  explicit RunDirectory(std::string dir);
  ~RunDirectory();
  RunDirectory(const RunDirectory&) = delete;
  RunDirectory& operator=(const RunDirectory&) = delete;

  const std::string& path() const { return dir_; }
  std::string file(const char* name) const { return dir_ + "/" + name; }

  // Removes the temporaries that a kill left of the run's own files (NAME.tmp.PID) and, unless the
  // run resumes, an earlier run's model, results and checkpoints, so that this run's config and
  // metrics never sit beside another run's model. Nothing else is touched. Returns the names
  // removed.
  std::vector<std::string> clear_earlier_run(bool resuming);

 private:
  std::string dir_;
  int lock_fd_ = -1;
};

}  // namespace gat::train
