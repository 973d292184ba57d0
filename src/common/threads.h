// How many compute threads a process should use.
#pragma once

namespace gat {

// Cores this process may run on (its CPU affinity mask), at least 1.
int available_cores();

// Sets LibTorch's intra-op threads: `requested`, or available_cores() / ranks_per_node when 0.
// Returns the number set.
int set_compute_threads(int requested, int ranks_per_node = 1);

}  // namespace gat
