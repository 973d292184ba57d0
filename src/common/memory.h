// How the process hands freed memory back to the system.
#pragma once

namespace gat {

// Keeps memory freed by tensors inside the process for the next step's tensors of the same sizes.
// By default glibc returns every large block (above its mmap threshold) to the kernel on free, so
// each training step pays page faults to get its activations back: 16% of a PPI-sized step's
// samples under perf, 1.09 s against 0.66 s per step with this (docs/performance.md). Peak
// memory stays what one step needs. Call once, after gat::log::init and before the first tensor
// is made. Where the allocator refuses (a sanitizer's, or a replacement malloc), it logs a warning
// and the run goes on, slower.
void keep_freed_memory();

}  // namespace gat
