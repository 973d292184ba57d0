// How much memory this process can ever have, and sizes in the units a message shows them in.
#pragma once

#include <cstdint>
#include <string>

namespace gat {

// The machine's physical memory, or the cgroup's limit (memory.max) where that is lower. A fixed
// amount rather than what is free now: what exceeds it can never fit, so a check against it
// refuses nothing that might work, and says the same thing on every run.
int64_t available_memory_bytes();

// `bytes` in a binary unit with one decimal ("14.6 TiB", "40.0 KiB"); below 1 KiB in bytes ("512 B").
std::string human_bytes(double bytes);

}  // namespace gat
