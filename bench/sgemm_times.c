/* Times every float product a process hands to BLAS, by shape, without rebuilding it: a wrapper
 * of sgemm_ (the Fortran entry LibTorch calls) loaded ahead of OpenBLAS. At exit it prints, for
 * each shape, the calls, the median and minimum time (the first two calls of a shape, the
 * process's warm-up, left out) and the rate, and the calls' time per step at the medians. Calls made
 * on several threads at once (times_weight's blocks, ops/weight_product.h) each count in full, so
 * that figure is then thread time, not the step's wall time. Products that go to oneDNN's sgemm
 * (ops::product, in a build with libdnnl-dev) do not pass through sgemm_: to see them here, build
 * with -DGAT_USE_DNNL=OFF.
 *
 *   gcc -O2 -shared -fPIC -o /tmp/sgemm_times.so bench/sgemm_times.c -ldl
 *   SGEMM_STEPS=25 LD_PRELOAD=/tmp/sgemm_times.so build/gat_bench --config configs/ppi.yaml \
 *       --graphs 2 --degree 14 --threads 2 --steps 20          (20 timed + 5 warm-up steps)
 *
 * Shapes are BLAS's column-major view: LibTorch's row-major C = A · B reaches sgemm_ as Cᵀ = Bᵀ · Aᵀ,
 * so m is C's columns, n its rows and k the inner dimension.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef void (*sgemm_fn)(const char*, const char*, const int*, const int*, const int*, const float*, const float*,
                         const int*, const float*, const int*, const float*, float*, const int*);

enum { kShapes = 256, kCalls = 4096 };

struct shape {
  char transa, transb;
  int m, n, k;
  long calls;
  double seconds[kCalls];
};

static struct shape shapes[kShapes];
static int num_shapes;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

void sgemm_(const char* transa, const char* transb, const int* m, const int* n, const int* k, const float* alpha,
            const float* a, const int* lda, const float* b, const int* ldb, const float* beta, float* c,
            const int* ldc) {
  static sgemm_fn blas;
  if (!blas) blas = (sgemm_fn)dlsym(RTLD_NEXT, "sgemm_");
  const double start = now();
  blas(transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  const double seconds = now() - start;
  int i = 0;
  while (i < num_shapes && !(shapes[i].transa == *transa && shapes[i].transb == *transb && shapes[i].m == *m &&
                             shapes[i].n == *n && shapes[i].k == *k))
    ++i;
  if (i == kShapes) return; /* more shapes than room: not timed */
  if (i == num_shapes) {
    shapes[i] = (struct shape){*transa, *transb, *m, *n, *k, 0, {0}};
    ++num_shapes;
  }
  if (shapes[i].calls < kCalls) shapes[i].seconds[shapes[i].calls] = seconds;
  ++shapes[i].calls;
}

static int ascending(const void* x, const void* y) {
  const double a = *(const double*)x, b = *(const double*)y;
  return (a > b) - (a < b);
}

__attribute__((destructor)) static void report(void) {
  const char* steps_env = getenv("SGEMM_STEPS");
  const double steps = steps_env ? atof(steps_env) : 1;
  double per_step = 0;
  for (int i = 0; i < num_shapes; ++i) {
    struct shape* s = &shapes[i];
    const long kept = (s->calls < kCalls ? s->calls : kCalls) - 2;
    if (kept < 1) continue;
    qsort(s->seconds + 2, kept, sizeof(double), ascending);
    const double median = s->seconds[2 + kept / 2];
    per_step += median * s->calls / steps;
    fprintf(stderr, "sgemm %c%c m %d n %d k %d: %ld calls, median %.3f ms, min %.3f ms, %.1f GFLOP/s\n", s->transa,
            s->transb, s->m, s->n, s->k, s->calls, median * 1e3, s->seconds[2] * 1e3,
            2.0 * s->m * s->n * s->k / median * 1e-9);
  }
  fprintf(stderr, "sgemm calls per step at the medians: %.1f ms (SGEMM_STEPS %.0f)\n", per_step * 1e3, steps);
}
