#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <cstdint>
#include <algorithm>
#include <omp.h>
#include "to_tiles_omp.h"
int main(int argc, char** argv) {
  const int nb = 8;
  float* xs[nb]; float* ts[nb];
  for (int b = 0; b < nb; ++b) { xs[b] = (float*)aligned_alloc(64, N * ROW * 4); ts[b] = (float*)aligned_alloc(64, N * HF * 4); memset(xs[b], 1, N*ROW*4); memset(ts[b], 0, N*HF*4); }
  for (int mode = 0; mode < 2; ++mode) {
    double best = 1e9, sum = 0; int reps = 16;
    for (int r = 0; r < reps; ++r) {
      const float* x = xs[mode ? r % nb : 0]; float* t = ts[mode ? r % nb : 0];
      auto t0 = std::chrono::steady_clock::now(); to_tiles(x, t);
      double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); best = std::min(best, s); sum += s;
    }
    printf("threads %d %s best %.2f ms mean %.2f ms\n", omp_get_max_threads(), mode ? "cold" : "hot ", best * 1e3, sum / reps * 1e3);
  }
}
