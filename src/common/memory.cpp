// glibc allocator settings for a process that allocates the same large tensors every step.
#include "common/memory.h"

#include <malloc.h>

#include "common/log.h"

namespace gat {

void keep_freed_memory() {
  // Serve every block from the heap instead of separate mappings, and never trim its top (-1 turns
  // trimming off; any positive threshold, at most 2 GiB, is crossed by large graphs' activations).
  // Both only change speed, so an allocator that refuses them (a sanitizer's, or a replacement
  // malloc whose mallopt fails) gets a warning rather than an error.
  const char* refused = nullptr;
  if (mallopt(M_MMAP_MAX, 0) != 1)
    refused = "mallopt(M_MMAP_MAX, 0)";
  else if (mallopt(M_TRIM_THRESHOLD, -1) != 1)
    refused = "mallopt(M_TRIM_THRESHOLD, -1)";
  if (refused)
    log::warn(
        "this process's allocator refused {}: freed tensor memory goes back to the system, and each step "
        "pays page faults to get it again (docs/performance.md)",
        refused);
}

}  // namespace gat
