// Stand-in for <cuda_runtime.h>: what the project's kernels use of CUDA C++, for the host compiler.
// A launch runs its grid one block at a time, each block's threads as fibers that switch only at
// __syncthreads() and warp shuffles (emulator.cpp), so a kernel's indexing, reductions and
// barriers run here as they are written. It says nothing of speed. Between two barriers each
// thread runs alone, in thread order or its reverse (emulator.h): a race that a barrier should have
// prevented shows only where the order puts its reader before its writer, so tests run both.
#pragma once

#include <math.h>  // exp and INFINITY for float and double, as device code has them

#include <cstddef>
#include <cstring>
#include <tuple>
#include <utility>

#include "cuda_runtime_api.h"

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
// One block runs at a time, so a block's shared memory can be a static of the kernel.
#define __shared__ static

struct dim3 {
  unsigned x = 1, y = 1, z = 1;
  dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
struct alignas(8) float2 {
  float x, y;
};
struct alignas(16) float4 {
  float x, y, z, w;
};

// The running thread's coordinates, set by the emulator before it resumes a thread.
extern dim3 threadIdx, blockIdx, blockDim, gridDim;

void __syncthreads();

namespace gat::cuda_emulation {

// One lane's part of a shuffle: publishes `bytes` from `in`, waits for the whole warp, and copies
// lane `from`'s into `out` (emulator.cpp keeps consecutive shuffles' values apart).
void exchange(unsigned lanes, const void* in, void* out, std::size_t bytes, int from);
int lane();

struct LaunchConfig {
  dim3 grid, block;
  std::size_t shared_bytes = 0;
  cudaStream_t stream = nullptr;
};

// Runs body(thread) for every thread of the grid: blocks in turn, each block's threads as fibers.
// A bad configuration sets the error cudaGetLastError() returns, as a failed launch does.
void run_grid(const LaunchConfig& config, void (*body)(void*), void* context);

template <typename... Parameters>
struct Launch {
  void (*kernel)(Parameters...);
  LaunchConfig config;

  template <typename... Arguments>
  void operator<<(std::tuple<Arguments...> arguments) const {
    std::tuple<Parameters...> parameters(std::move(arguments));  // converted as a call would
    struct Context {
      void (*kernel)(Parameters...);
      std::tuple<Parameters...>* parameters;
    } context{kernel, &parameters};
    run_grid(
        config,
        [](void* c) {
          auto* context = static_cast<Context*>(c);
          std::apply(context->kernel, *context->parameters);
        },
        &context);
  }
};

// kernel<<<grid, block, shared, stream>>>(arguments...) is rewritten (rewrite_launches.cmake) as
// kernel << LaunchConfig{grid, block, shared, stream} << arguments(arguments...).
template <typename... Parameters>
Launch<Parameters...> operator<<(void (*kernel)(Parameters...), LaunchConfig config) {
  return {kernel, config};
}

template <typename... Arguments>
std::tuple<Arguments...> arguments(Arguments... values) {
  return std::tuple<Arguments...>(values...);
}

}  // namespace gat::cuda_emulation

// Whole warps only (no width argument), as the kernels use it.
template <typename T>
T __shfl_xor_sync(unsigned lanes, T value, int lane_mask) {
  T out;
  gat::cuda_emulation::exchange(lanes, &value, &out, sizeof(T), gat::cuda_emulation::lane() ^ lane_mask);
  return out;
}
