// Thread count from the affinity mask: LibTorch alone would pick 1 on some machines.
#include "common/threads.h"

#include <sched.h>

#include <algorithm>

#include <ATen/Parallel.h>

namespace gat {

int available_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return 1;
  return std::max(1, CPU_COUNT(&set));
}

int set_compute_threads(int requested, int ranks_per_node) {
  const int threads = requested > 0 ? requested : std::max(1, available_cores() / std::max(1, ranks_per_node));
  at::set_num_threads(threads);
  return threads;
}

}  // namespace gat
