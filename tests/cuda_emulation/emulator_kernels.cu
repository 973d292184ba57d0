// Kernels of emulator_kernels.h, written as CUDA C++ and compiled through rewrite_launches.cmake.
#include "emulator_kernels.h"

#include <cuda_runtime.h>

namespace gat::cuda_emulation::testing {
namespace {

constexpr unsigned kAllLanes = 0xffffffffu;
constexpr unsigned kMaxThreads = 1024;

__global__ void rotate_kernel(const float* in, float* out) {
  __shared__ float row[kMaxThreads];
  const unsigned i = threadIdx.x, base = blockIdx.x * blockDim.x;
  row[i] = in[base + i];
  __syncthreads();
  out[base + i] = row[(i + 1) % blockDim.x];
}

__global__ void shift_kernel(const float* in, float* out) {
  __shared__ float row[kMaxThreads];
  const unsigned i = threadIdx.x;
  row[i] = in[i];
  out[i] = row[i == 0 ? 0 : i - 1];  // the missing __syncthreads() belongs before this read
}

__global__ void warp_sum_kernel(const double* in, double* out) {
  const unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
  double v = in[i];
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(kAllLanes, v, o);
  out[i] = v;
}

__global__ void barrier_against_shuffle_kernel(int* out) {
  if (threadIdx.x == 0)
    __syncthreads();
  else
    out[threadIdx.x] = __shfl_xor_sync(kAllLanes, int(threadIdx.x), 1);
}

__global__ void lane_leaves_kernel(int* out) {
  if (threadIdx.x == 5) return;
  out[threadIdx.x] = __shfl_xor_sync(kAllLanes, int(threadIdx.x), 1);
}

}  // namespace

cudaError_t rotate_in_blocks(unsigned blocks, unsigned threads, const float* in, float* out) {
  rotate_kernel<<<blocks, threads, 0, nullptr>>>(in, out);
  return cudaGetLastError();
}

cudaError_t shift_without_barrier(unsigned threads, const float* in, float* out) {
  shift_kernel<<<1, threads, 0, nullptr>>>(in, out);
  return cudaGetLastError();
}

cudaError_t warp_sums(unsigned blocks, unsigned threads, const double* in, double* out) {
  warp_sum_kernel<<<blocks, threads, 0, nullptr>>>(in, out);
  return cudaGetLastError();
}

cudaError_t barrier_against_shuffle() {
  int out[32] = {};
  barrier_against_shuffle_kernel<<<1, 32, 0, nullptr>>>(out);
  return cudaGetLastError();
}

cudaError_t lane_leaves_a_shuffle() {
  int out[32] = {};
  lane_leaves_kernel<<<1, 32, 0, nullptr>>>(out);
  return cudaGetLastError();
}

}  // namespace gat::cuda_emulation::testing
