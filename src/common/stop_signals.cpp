// A flag set from a signal handler; nothing else is safe there.
#include "common/stop_signals.h"

#include <csignal>

namespace gat {
namespace {

volatile std::sig_atomic_t caught = 0;

extern "C" void remember(int signal) { caught = signal; }

}  // namespace

void catch_stop_signals() {
  std::signal(SIGTERM, remember);
  std::signal(SIGUSR1, remember);
}

int stop_signal() { return caught; }

}  // namespace gat
