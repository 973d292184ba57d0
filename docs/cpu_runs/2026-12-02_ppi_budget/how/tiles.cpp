#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <cstdint>
#include <algorithm>
#include "to_tiles_omp.h"  // serial here: tiles.cpp is built without -fopenmp
int main(int argc, char** argv) {
  const int nb = argc > 1 ? atoi(argv[1]) : 8;
  float* xs[64]; float* ts[64];
  for (int b = 0; b < nb; ++b) { xs[b] = (float*)aligned_alloc(64, N * ROW * 4); ts[b] = (float*)aligned_alloc(64, N * HF * 4); memset(xs[b], 1, N*ROW*4); memset(ts[b], 0, N*HF*4); }
  const char* names[4] = {"src hot  dst hot ", "src cold dst hot ", "src hot  dst cold", "src cold dst cold"};
  for (int mode = 0; mode < 4; ++mode) {
    double best = 1e9, sum = 0; int reps = 2 * nb;
    for (int r = 0; r < reps; ++r) {
      const float* x = xs[(mode & 1) ? r % nb : 0]; float* t = ts[(mode & 2) ? r % nb : 0];
      auto t0 = std::chrono::steady_clock::now(); to_tiles(x, t);
      double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); best = std::min(best, s); sum += s;
    }
    printf("%s best %.2f ms mean %.2f ms\n", names[mode], best * 1e3, sum / reps * 1e3);
  }
}
