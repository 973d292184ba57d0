// glibc allocator settings for a process that allocates the same large tensors every step.
#include "common/memory.h"

#include <malloc.h>

#include "common/error.h"

namespace gat {

void keep_freed_memory() {
  // Serve every block from the heap instead of separate mappings, and never trim its top (-1 turns
  // trimming off; any positive threshold, at most 2 GiB, is crossed by large graphs' activations).
  if (mallopt(M_MMAP_MAX, 0) != 1) throw Error("mallopt(M_MMAP_MAX, 0) failed");
  if (mallopt(M_TRIM_THRESHOLD, -1) != 1) throw Error("mallopt(M_TRIM_THRESHOLD, -1) failed");
}

}  // namespace gat
