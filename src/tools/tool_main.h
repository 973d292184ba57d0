// The start and end that gat_train, gat_eval and gat_bench share: arguments, the communicator
// (MPI under mpirun, one process otherwise) and the one-line errors with their exit codes.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <iostream>
#include <memory>

#include "common/error.h"
#include "common/log.h"
#include "dist/mpi_communicator.h"
#include "tools/tool_errors.h"

namespace gat::tools {

// --log-level for the tools that train under mpirun, where ranks > 0 log warnings only, unless
// debug or trace; start_rank_logging applies it.
inline void add_rank_log_level(CLI::App& app, std::string& level) {
  app.add_option("--log-level", level,
                 "trace, debug, info, warn, error or off (ranks > 0 log warnings only, unless debug)");
}
inline void start_rank_logging(const dist::Communicator& host, const std::string& level) {
  const bool quiet = host.rank() > 0 && level != "debug" && level != "trace";
  log::init(host.rank(), quiet && level != "off" ? "warn" : level);
}

// Checks for counts and sizes: "--steps: expected a whole number of at least 1, got 0", where CLI11's
// own PositiveNumber names float's range.
inline CLI::Validator at_least(long long least) {
  return CLI::Validator(
      [least](std::string& value) -> std::string {
        long long n = 0;
        if (CLI::detail::lexical_cast(value, n) && n >= least) return {};
        return "expected a whole number of at least " + std::to_string(least) + ", got " + value;
      },
      ">=" + std::to_string(least));
}

// Parses argv into `app`, starts the communicator and runs body(comm) under run_reporting_errors.
// Returns main's exit code. Bad arguments get one line, "tool: error: --steps: ...", as every other
// input error does, and exit code 2; CLI11's own exit adds a second line pointing at --help. --help
// itself (exit code 0) goes to CLI11, which prints the usage.
inline int run_tool(const char* tool, CLI::App& app, int argc, char** argv,
                    const std::function<void(dist::Communicator&)>& body) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::cerr << std::string(tool) + ": error: " + one_line(e.what()) + "\n" << std::flush;
    return kInputErrorExit;
  }
  std::unique_ptr<dist::Communicator> comm;
  try {
    comm = dist::make_communicator();
  } catch (const std::exception& e) {
    std::cerr << tool << ": error: cannot start MPI: " << e.what() << std::endl;
    return 1;
  }
  return run_reporting_errors(tool, *comm, [&] { body(*comm); });
}

}  // namespace gat::tools
