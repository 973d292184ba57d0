// Thread count from the affinity mask: LibTorch alone would pick 1 on some machines.
#include "common/threads.h"

#include <sched.h>

#include <algorithm>

#include <ATen/Parallel.h>

#include "common/error.h"

namespace gat {

int available_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return 1;
  return std::max(1, CPU_COUNT(&set));
}

int set_compute_threads(int64_t requested, int ranks_per_node, const std::string& option) {
  const int cores = available_cores();
  const int64_t most = int64_t{kMaxThreadsPerCore} * cores;
  if (requested > most)
    throw Error(option + ": expected at most " + std::to_string(most) + " threads (" +
                std::to_string(kMaxThreadsPerCore) + " per core this process may use, " + std::to_string(cores) +
                "), got " + std::to_string(requested));
  const int threads = requested > 0 ? static_cast<int>(requested) : std::max(1, cores / std::max(1, ranks_per_node));
  at::set_num_threads(threads);
  return threads;
}

}  // namespace gat
