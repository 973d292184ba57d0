// One error type for everything the user can get wrong: bad config, bad data, bad arguments.
#pragma once

#include <stdexcept>
#include <string>

namespace gat {

// Thrown for invalid input. `main` prints what() as one line and exits with kInputErrorExit.
// Messages name the file, key or tensor and what was expected, e.g.
//   "cora.h5: /edge_index: expected int64, got float32".
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

// Exit code for bad input (config, data, command line).
constexpr int kInputErrorExit = 2;

// Training produced a NaN or Inf (train.on_nonfinite: stop): the data and config were valid, but
// the run diverged, usually from too high a learning rate. main exits with kDivergedExit.
class Diverged : public Error {
 public:
  using Error::Error;
};

constexpr int kDivergedExit = 3;

// A collective did not finish within dist.timeout_s: some rank died or hangs.
constexpr int kCollectiveTimeoutExit = 4;

// SIGTERM or SIGUSR1 stopped training after a checkpoint was written; --resume continues it.
class Preempted : public Error {
 public:
  using Error::Error;
};

constexpr int kPreemptedExit = 5;

}  // namespace gat
