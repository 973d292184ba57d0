// One line, one write, then the exit code, for every rank.
#include "tools/tool_errors.h"

#include <functional>
#include <iostream>
#include <string>

#include "common/error.h"

namespace gat::tools {
namespace {

// How long a failing rank waits for the others to fail alike before it ends the job: ranks that
// read the same config or data meet its error within moments of each other.
constexpr double kAgreeSeconds = 5;

// Where every rank fails alike (a config or data error that every rank reads), rank 0 writes the
// line without a rank and every rank returns `code`: the job ends without MPI's abort banner.
// Otherwise this rank writes its line, naming itself, and ends the whole job with `code`.
int fail(const char* tool, dist::Communicator& comm, const std::string& kind, const std::string& message, int code) {
  const std::string what = kind + ": " + one_line(message);
  if (comm.size() > 1 &&
      comm.all_fail_alike(std::hash<std::string>{}(what + "\n" + std::to_string(code)), kAgreeSeconds)) {
    if (comm.rank() == 0) std::cerr << std::string(tool) + ": " + what + "\n" << std::flush;
    return code;
  }
  // One write of the whole line: other ranks' log lines share this stderr and must not land inside it.
  const std::string rank = comm.size() > 1 ? "rank " + std::to_string(comm.rank()) + ": " : "";
  std::cerr << std::string(tool) + ": " + kind + ": " + rank + one_line(message) + "\n" << std::flush;
  if (comm.size() > 1) comm.abort(code);
  std::exit(code);
}

}  // namespace

int run_reporting_errors(const char* tool, dist::Communicator& comm, const std::function<void()>& body) {
  try {
    body();
  } catch (const Preempted& e) {
    // Where every rank stops at the same step (they agree on it), the job ends without an abort;
    // a rank that stops alone ends the others.
    if (!e.every_rank()) return fail(tool, comm, "stopped", e.what(), kPreemptedExit);
    if (comm.rank() == 0) std::cerr << std::string(tool) + ": stopped: " + e.what() + "\n" << std::flush;
    return kPreemptedExit;
  } catch (const Diverged& e) {
    return fail(tool, comm, "error", e.what(), kDivergedExit);
  } catch (const Error& e) {
    return fail(tool, comm, "error", e.what(), kInputErrorExit);
  } catch (const c10::Error& e) {
    return fail(tool, comm, "internal error", e.what_without_backtrace(), 1);
  } catch (const std::exception& e) {
    return fail(tool, comm, "internal error", e.what(), 1);
  }
  return 0;
}

}  // namespace gat::tools
