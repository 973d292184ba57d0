#include <immintrin.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <cstdint>
#include <algorithm>
int main() {
  const size_t n = 256ull << 20;  // bytes
  char* a = (char*)aligned_alloc(64, n); char* b = (char*)aligned_alloc(64, n);
  memset(a, 1, n); memset(b, 2, n);
  auto T = [](auto f) { double best = 1e9; for (int r = 0; r < 5; ++r) { auto t0 = std::chrono::steady_clock::now(); f(); best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()); } return best; };
  double t;
  t = T([&] { __m256 v = _mm256_set1_ps(1); for (size_t i = 0; i < n; i += 32) _mm256_store_ps((float*)(b + i), v); }); printf("write regular: %.1f GB/s\n", n / t / 1e9);
  t = T([&] { __m256 v = _mm256_set1_ps(1); for (size_t i = 0; i < n; i += 32) _mm256_stream_ps((float*)(b + i), v); _mm_sfence(); }); printf("write NT:      %.1f GB/s\n", n / t / 1e9);
  volatile float sink; t = T([&] { __m256 s = _mm256_setzero_ps(); for (size_t i = 0; i < n; i += 32) s = _mm256_add_ps(s, _mm256_load_ps((float*)(a + i))); sink = s[0]; }); printf("read:          %.1f GB/s\n", n / t / 1e9);
  t = T([&] { for (size_t i = 0; i < n; i += 32) _mm256_store_ps((float*)(b + i), _mm256_load_ps((float*)(a + i))); }); printf("copy regular:  %.1f GB/s (read+write)\n", 2 * n / t / 1e9);
  t = T([&] { memcpy(b, a, n); }); printf("memcpy:        %.1f GB/s (read+write)\n", 2 * n / t / 1e9);
  // strided writes: 256 B pieces at 4 KiB stride (like a tile column of rows)
  t = T([&] { __m256 v = _mm256_set1_ps(1); for (size_t c = 0; c < 4096; c += 256) for (size_t r = 0; r + 4096 <= n; r += 4096) for (int k = 0; k < 256; k += 32) _mm256_store_ps((float*)(b + r + c + k), v); }); printf("write 256B@4K: %.1f GB/s\n", n / t / 1e9);
}
