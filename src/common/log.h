// Logging to stderr with the rank in every line; stdout is kept for results.
#pragma once

#include <spdlog/spdlog.h>

#include <string>

namespace gat::log {

// Sets up the default logger: "[rank R] message" on stderr at `level` (trace, debug, info, warn,
// error, off). Throws gat::Error for an unknown level.
void init(int rank, const std::string& level);

using spdlog::debug;
using spdlog::info;
using spdlog::warn;

}  // namespace gat::log
