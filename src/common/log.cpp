// Logger set-up.
#include "common/log.h"

#include <spdlog/sinks/stdout_sinks.h>

#include "common/error.h"

namespace gat::log {

void init(int rank, const std::string& level) {
  const auto parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off")
    throw Error("--log-level: expected one of trace, debug, info, warn, error, off, got \"" + level + "\"");
  auto logger = std::make_shared<spdlog::logger>("gat", std::make_shared<spdlog::sinks::stderr_sink_st>());
  logger->set_pattern("[rank " + std::to_string(rank) + "] %v");
  logger->set_level(parsed);
  spdlog::set_default_logger(logger);
}

}  // namespace gat::log
