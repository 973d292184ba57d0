// Logger set-up.
#include "common/log.h"

#include <c10/util/Exception.h>
#include <torch/version.h>

#include <spdlog/sinks/stdout_sinks.h>

#include "common/error.h"

namespace gat::log {
namespace {

// LibTorch's warnings (such as scatter_reduce's "beta API" notice) go to the log at debug level
// instead of glog's unprefixed lines on stderr.
// The handler's interface moved in LibTorch 2 (Debian ships 1.13; CUDA builds use 2.x).
class TorchWarningsToLog : public c10::WarningHandler {
 public:
#if TORCH_VERSION_MAJOR >= 2
  void process(const c10::Warning& warning) override { spdlog::debug("torch: {}", warning.msg()); }
#else
  void process(const c10::SourceLocation&, const std::string& msg, const bool) override {
    spdlog::debug("torch: {}", msg);
  }
#endif
};

#if TORCH_VERSION_MAJOR >= 2
namespace warning_utils = c10::WarningUtils;
#else
namespace warning_utils = c10::Warning;
#endif

}  // namespace

void init(int rank, const std::string& level) {
  const auto parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off")
    throw Error("--log-level: expected one of trace, debug, info, warn, error, off, got \"" + level + "\"");
  auto logger = std::make_shared<spdlog::logger>("gat", std::make_shared<spdlog::sinks::stderr_sink_st>());
  logger->set_pattern("[rank " + std::to_string(rank) + "] %v");
  logger->set_level(parsed);
  spdlog::set_default_logger(logger);
  static TorchWarningsToLog torch_warnings;
  warning_utils::set_warning_handler(&torch_warnings);
}

}  // namespace gat::log
