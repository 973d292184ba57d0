// Stand-in for <cuda_bf16.h>: the bfloat16 type and the one conversion the project's kernels use.
// Its bits are the upper half of a float32's, as CUDA's and LibTorch's (c10::BFloat16) are, so a
// LibTorch bfloat16 tensor's data can be read through it.
#pragma once

#include <cstdint>
#include <cstring>

struct __nv_bfloat16 {
  uint16_t bits;
};

inline float __bfloat162float(__nv_bfloat16 v) {
  const uint32_t word = uint32_t(v.bits) << 16;
  float f;
  std::memcpy(&f, &word, sizeof f);
  return f;
}
