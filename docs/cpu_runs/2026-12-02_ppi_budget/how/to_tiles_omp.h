// to_tiles of a [4490, 1032] product's first 1,024 columns with OpenMP, as the step lays Wh out
// (src/ops/fused_attention_cpu.inc): 32 rows at a time, tile by tile. Shared by tiles.cpp (built
// without -fopenmp, so one thread), tiles2.cpp and chain.cpp.
#pragma once
#include <algorithm>
#include <cstdint>
typedef float V __attribute__((vector_size(32), aligned(4), may_alias));
constexpr int64_t N = 4490, HF = 1024, ROW = 1032, TILE = 64, NT = HF / TILE, kCopyRows = 32;
void to_tiles(const float* x, float* tiles) {
#pragma omp parallel for schedule(static)
  for (int64_t b = 0; b < (N + kCopyRows - 1) / kCopyRows; ++b) {
    int64_t r0 = b * kCopyRows, r1 = std::min(N, r0 + kCopyRows);
    for (int64_t t = 0; t < NT; ++t)
      for (int64_t j = r0; j < r1; ++j) {
        const V* from = (const V*)(x + j * ROW + t * TILE); V* to = (V*)(tiles + t * TILE * N + j * TILE);
        for (int g = 0; g < 8; ++g) to[g] = from[g];
      }
  }
}
