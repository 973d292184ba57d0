// microbenchmark: tile gathers as in gather_whole_tile, one thread
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstdint>
#include <vector>
#include <random>
#include <algorithm>
#include <cstring>
#ifndef W
#define W 8
#endif
typedef float V __attribute__((vector_size(W*4), aligned(4), may_alias));
constexpr int kTile = 64, kG = kTile / W;
int main(int argc, char** argv) {
  int64_t n = argc > 1 ? atoll(argv[1]) : 2245; int deg = argc > 2 ? atoi(argv[2]) : 14;
  int pf = argc > 3 ? atoi(argv[3]) : 16; int mode = argc > 4 ? atoi(argv[4]) : 0; int tiles = 16;
  std::mt19937_64 rng(1);
  std::vector<std::vector<int64_t>> adj(n);
  for (int64_t i = 0; i < n; ++i) { adj[i].push_back(i); for (int d = 0; d < deg; ++d) { int64_t j = rng() % n; adj[i].push_back(j); adj[j].push_back(i);} }
  std::vector<int64_t> ptr(n + 1), src; for (int64_t i = 0; i < n; ++i) { if (mode & 4) std::sort(adj[i].begin(), adj[i].end()); ptr[i] = src.size(); for (auto j : adj[i]) src.push_back(j);} ptr[n] = src.size();
  int64_t E = src.size();
  float* slabs = (float*)aligned_alloc(64, sizeof(float) * n * kTile * 128);
  for (int64_t q = 0; q < n * kTile * 128; ++q) slabs[q] = (q % 7) * 0.1f;
  float* outs = (float*)aligned_alloc(64, sizeof(float) * n * kTile * tiles * 8); for (int64_t q = 0; q < n * kTile * tiles * 8; ++q) outs[q] = 0;
  std::vector<float> alpha(E * 4, 0.5f);
  double best = 1e9;
  for (int rep = 0; rep < 7; ++rep) {
    float* out = outs + ((mode & 32) ? (rep % 8) * n * kTile * tiles : 0);
    auto t0 = std::chrono::steady_clock::now();
    for (int t = 0; t < tiles; ++t) {
      const float* slab = slabs + ((mode & 16) ? (rep * 16 + t) % 128 : t) * n * kTile;
      for (int64_t i = 0; i < n; ++i) {
        V acc[kG] = {};
        for (int64_t k = ptr[i]; k < ptr[i + 1]; ++k) {
          if (pf && k + pf < E) for (int l = 0; l < 4; ++l) __builtin_prefetch(slab + src[k + pf] * kTile + 16 * l);
          const float c = alpha[k * 4 + (t >> 2)];
          const V* xj = (const V*)(slab + ((mode & 8) ? i : src[k]) * kTile);
          for (int g = 0; g < kG; ++g) acc[g] += c * xj[g];
        }
        float* o = (mode & 1) ? out + (t * n + i) * kTile : out + i * kTile * tiles + t * kTile;  // 1: tiled out, 0: rows out
        for (int g = 0; g < kG; ++g) ((V*)o)[g] = acc[g];
      }
    }
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::min(best, s);
  }
  printf("n %ld E %ld pf %d mode %d W %d: %.2f ms, %.2f ns/edge-tile\n", n, E, pf, mode, W, best * 1e3, best * 1e9 / (E * tiles));
}
