#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <cstdint>
#include <algorithm>
typedef float V __attribute__((vector_size(32), aligned(4), may_alias));
constexpr int64_t N = 4490, HF = 1024, ROW = 1032, TILE = 64, NT = HF / TILE, kCopyRows = 32;
void to_tiles(const float* x, float* tiles) {
  for (int64_t r0 = 0; r0 < N; r0 += kCopyRows) {
    int64_t r1 = std::min(N, r0 + kCopyRows);
    for (int64_t t = 0; t < NT; ++t)
      for (int64_t j = r0; j < r1; ++j) {
        const V* from = (const V*)(x + j * ROW + t * TILE); V* to = (V*)(tiles + t * TILE * N + j * TILE);
        for (int g = 0; g < 8; ++g) to[g] = from[g];
      }
  }
}
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
