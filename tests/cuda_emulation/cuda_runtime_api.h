// Stand-in for the CUDA runtime's host API, for compiling the project's kernels with the host
// compiler (tests/cuda_emulation/README.md): the types and calls the kernels' host code uses.
#pragma once

namespace gat::cuda_emulation {
struct Stream;  // streams are not modelled: every launch runs to completion before it returns
}  // namespace gat::cuda_emulation

using cudaStream_t = gat::cuda_emulation::Stream*;

enum cudaError_t { cudaSuccess = 0, cudaErrorInvalidConfiguration = 9 };

// Returns the last launch's error and resets it to cudaSuccess, as CUDA's does.
cudaError_t cudaGetLastError();
const char* cudaGetErrorString(cudaError_t error);
