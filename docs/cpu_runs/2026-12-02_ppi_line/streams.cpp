// Does a cold read stream (addend rows) and a cold write stream (output rows) slow the tile
// gathers? One thread; a graph of n nodes, 16 tiles of 64 floats; the slabs hot (one 18 MB tiled
// copy per call, as to_tiles leaves it), addend and out rotated over NB buffers of [n, 1024] each.
// mode bit 1: add the addend row's tile; bit 2: write the output into a rotated (cold) buffer;
// bit 4: slabs rotated too (cold).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>
typedef float V __attribute__((vector_size(32), aligned(4), may_alias));
constexpr int kTile = 64, kG = 8, kTiles = 16, kHF = 1024, NB = 8;
int main(int argc, char** argv) {
  const int64_t n = argc > 1 ? atoll(argv[1]) : 2245;
  const int deg = 14, pf = 16, mode = argc > 2 ? atoi(argv[2]) : 0;
  std::mt19937_64 rng(1);
  std::vector<std::vector<int64_t>> adj(n);
  for (int64_t i = 0; i < n; ++i) {
    adj[i].push_back(i);
    for (int d = 0; d < deg; ++d) { int64_t j = rng() % n; adj[i].push_back(j); adj[j].push_back(i); }
  }
  std::vector<int64_t> ptr(n + 1), src;
  for (int64_t i = 0; i < n; ++i) { ptr[i] = src.size(); for (auto j : adj[i]) src.push_back(j); }
  ptr[n] = src.size();
  const int64_t E = src.size(), big = n * kHF;
  auto make = [&](int64_t count) { float* p = (float*)aligned_alloc(64, sizeof(float) * count);
    for (int64_t q = 0; q < count; ++q) p[q] = (q % 7) * 0.1f; return p; };
  float* slabs = make(big * NB);
  float* addends = make(big * NB);
  float* outs = make(big * NB);
  std::vector<float> alpha(E * 4, 0.5f);
  std::vector<double> times;
  for (int rep = 0; rep < 24; ++rep) {
    const float* tiles = slabs + ((mode & 4) ? rep % NB : 0) * big;
    const float* addend = addends + (rep % NB) * big;
    float* out = outs + ((mode & 2) ? rep % NB : 0) * big;
    auto t0 = std::chrono::steady_clock::now();
    for (int t = 0; t < kTiles; ++t) {
      const float* slab = tiles + t * n * kTile;
      for (int64_t i = 0; i < n; ++i) {
        V acc[kG] = {};
        float* o = out + i * kHF + t * kTile;
        const float* a = addend + i * kHF + t * kTile;
        for (int l = 0; l < 4; ++l) __builtin_prefetch(o + 16 * l, 1);
        if (mode & 1) for (int l = 0; l < 4; ++l) __builtin_prefetch(a + 16 * l);
        for (int64_t k = ptr[i]; k < ptr[i + 1]; ++k) {
          if (k + pf < E) for (int l = 0; l < 4; ++l) __builtin_prefetch(slab + src[k + pf] * kTile + 16 * l);
          const float c = alpha[k * 4 + (t >> 2)];
          const V* xj = (const V*)(slab + src[k] * kTile);
          for (int g = 0; g < kG; ++g) acc[g] += c * xj[g];
        }
        if (mode & 1) for (int g = 0; g < kG; ++g) acc[g] += ((const V*)a)[g];
        for (int g = 0; g < kG; ++g) ((V*)o)[g] = acc[g];
      }
    }
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(times.begin(), times.end());
  printf("n %ld mode %d: best %.2f ms median %.2f ms, median %.2f ns/edge-tile\n", n, mode, times[0] * 1e3,
         times[times.size() / 2] * 1e3, times[times.size() / 2] * 1e9 / (E * kTiles));
}
