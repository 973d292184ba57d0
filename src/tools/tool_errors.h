// How the command-line tools end on an error, on one rank or many.
#pragma once

#include <functional>

#include "dist/communicator.h"

namespace gat::tools {

// Runs body() and returns 0, or turns what it throws into one stderr line "TOOL: error: [rank R: ]
// message" and an exit code: gat::Diverged 3, gat::Error 2 (bad input), anything else 1 ("internal
// error"). With several ranks, an error that every rank meets alike (the same line and code, as
// for a config or data error that every rank reads) is one line from rank 0, without a rank, and
// every rank returns the code. An error of some ranks only ends the whole job from the failing
// rank, naming it, so that no rank waits forever in a collective for it. gat::Preempted (every
// rank throws it at the same step) is one line "TOOL: stopped: message" from rank 0 and
// kPreemptedExit, without ending the job early; one that only its rank throws
// (Preempted::every_rank false) ends the job like an error does.
int run_reporting_errors(const char* tool, dist::Communicator& comm, const std::function<void()>& body);

}  // namespace gat::tools
