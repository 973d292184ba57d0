// How many compute threads a process should use.
#pragma once

#include <cstdint>
#include <string>

namespace gat {

// Cores this process may run on (its CPU affinity mask), at least 1.
int available_cores();

// The most compute threads a process may ask for, per core it may run on: more only make the
// threads wait for each other, and thousands stall the start (the thread pool is made first).
constexpr int kMaxThreadsPerCore = 4;

// Sets LibTorch's intra-op threads: `requested`, or available_cores() / ranks_per_node when 0.
// Returns the number set. `requested` above kMaxThreadsPerCore x available_cores() is a gat::Error
// naming `option`, the key or flag it came from ("train.threads", "--threads").
int set_compute_threads(int64_t requested, int ranks_per_node, const std::string& option);

}  // namespace gat
