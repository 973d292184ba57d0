// glibc allocator settings for a process that allocates the same large tensors every step.
#include "common/memory.h"

#include <malloc.h>

#include <limits>

#include "common/error.h"

namespace gat {

void keep_freed_memory() {
  // Serve every block from the heap instead of separate mappings, and never trim its top.
  if (mallopt(M_MMAP_MAX, 0) != 1) throw Error("mallopt(M_MMAP_MAX, 0) failed");
  if (mallopt(M_TRIM_THRESHOLD, std::numeric_limits<int>::max()) != 1)
    throw Error("mallopt(M_TRIM_THRESHOLD) failed");
}

}  // namespace gat
