// sgemm (per thread row halves, as rows_product) then to_tiles, timed apart
#include <oneapi/dnnl/dnnl.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <cstdint>
#include <algorithm>
#include <vector>
#include <omp.h>
#include "to_tiles_omp.h"
constexpr int64_t K = 1024;  // the product's inner dimension
double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }
int main(int argc, char** argv) {
  int fresh = argc > 1 ? atoi(argv[1]) : 0;
  float* a = (float*)aligned_alloc(64, N * K * 4); float* w = (float*)aligned_alloc(64, K * ROW * 4);
  for (int64_t i = 0; i < N * K; ++i) a[i] = (i % 13) * 0.01f;
  for (int64_t i = 0; i < K * ROW; ++i) w[i] = (i % 7) * 0.01f;
  float* x0 = (float*)aligned_alloc(64, N * ROW * 4); float* t0 = (float*)aligned_alloc(64, N * HF * 4);
  memset(x0, 0, N*ROW*4); memset(t0, 0, N*HF*4);
  std::vector<double> tg, tt, tt2;
  for (int rep = 0; rep < 12; ++rep) {
    float* x = fresh ? (float*)malloc(N * ROW * 4) : x0; float* t = fresh ? (float*)malloc(N * HF * 4) : t0;
    double s0 = now();
#pragma omp parallel
    {
      int p = omp_get_thread_num(), parts = omp_get_num_threads();
      int64_t r0 = N * p / parts, r1 = N * (p + 1) / parts;
      dnnl_sgemm('N', 'N', r1 - r0, ROW, K, 1.0f, a + r0 * K, K, w, ROW, 0.0f, x + r0 * ROW, ROW);
    }
    double s1 = now(); to_tiles(x, t); double s2 = now(); to_tiles(x, t); double s3 = now();
    tg.push_back(s1 - s0); tt.push_back(s2 - s1); tt2.push_back(s3 - s2);
    if (fresh) { free(x); free(t); }
  }
  std::sort(tg.begin(), tg.end()); std::sort(tt.begin(), tt.end()); std::sort(tt2.begin(), tt2.end());
  printf("threads %d fresh %d: sgemm median %.2f ms, to_tiles right after %.2f ms, again %.2f ms\n", omp_get_max_threads(), fresh, tg[6]*1e3, tt[6]*1e3, tt2[6]*1e3);
}
