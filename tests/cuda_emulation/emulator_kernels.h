// Small kernels that put the emulator (README.md) to work: shared memory and barriers across
// blocks, warp shuffles, and the mistakes it must refuse. Host pointers in, as the emulator runs.
#pragma once

#include <cuda_runtime_api.h>

namespace gat::cuda_emulation::testing {

// out[b * t + i] = in[b * t + (i + 1) % t] for blocks b < blocks of t threads, through shared
// memory: right only if the barrier holds each thread until its neighbour has written.
cudaError_t rotate_in_blocks(unsigned blocks, unsigned threads, const float* in, float* out);

// out[i] = in[i - 1] (in[0] for thread 0) through shared memory in one block, with no barrier
// between the writes and the reads: a race, which only the reverse order shows.
cudaError_t shift_without_barrier(unsigned threads, const float* in, float* out);

// out[i] = the sum of in over i's warp, by a butterfly of shuffles, in blocks of `threads`.
cudaError_t warp_sums(unsigned blocks, unsigned threads, const double* in, double* out);

// Lane 0 waits at __syncthreads() while lanes 1-31 wait at a shuffle for it: a block that never ends.
cudaError_t barrier_against_shuffle();

// Lane 5 leaves while the rest of its warp shuffles.
cudaError_t lane_leaves_a_shuffle();

}  // namespace gat::cuda_emulation::testing
