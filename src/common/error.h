// One error type for everything the user can get wrong: bad config, bad data, bad arguments.
#pragma once

#include <cstdio>
#include <stdexcept>
#include <string>

namespace gat {

// `text` with line breaks and other control characters written as escapes (\n, \x01): errors
// quote what the user gave (a --set value, a YAML string), and must still be one line.
inline std::string one_line(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == '\n') {
      out += "\\n";
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      char escaped[5];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", static_cast<unsigned char>(c));
      out += escaped;
    } else {
      out += c;
    }
  }
  return out;
}

// Thrown for invalid input. `main` prints what() as one line and exits with kInputErrorExit.
// Messages name the file, key or tensor and what was expected, e.g.
//   "cora.h5: /edge_index: expected int64, got float32".
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(one_line(what)) {}
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
// every_rank: all ranks stop at this step (they train together and agree on it); otherwise only
// the rank that caught the signal stops, and it must end the others.
class Preempted : public Error {
 public:
  explicit Preempted(const std::string& what, bool every_rank = true) : Error(what), every_rank_(every_rank) {}
  bool every_rank() const { return every_rank_; }

 private:
  bool every_rank_;
};

constexpr int kPreemptedExit = 5;

}  // namespace gat
