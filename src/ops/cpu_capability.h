// Which build of the project's CPU kernels runs: the x86-64 baseline (SSE2) or AVX2. A kernel file
// includes its loops twice, once in namespace baseline and once in namespace avx2 under GCC's
// `#pragma GCC target("avx2")` (ATen's CPU_CAPABILITY pattern), and calls the avx2 build where
// use_avx2(). Both builds do the same operations in the same order (no FMA: ISO C++ mode leaves
// a * b + c uncontracted), so they give the same results.
#pragma once

#include <string>
#include <utility>

// GCC's target pragma compiles the AVX2 kernels; other compilers and CPUs get the baseline only.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define GAT_HAS_AVX2_KERNELS 1
#else
#define GAT_HAS_AVX2_KERNELS 0
#endif

// name<T>(args...): the avx2 build's name<T> where use_avx2(), else the baseline's
// (ops/cpu_builds.inc).
#if GAT_HAS_AVX2_KERNELS
#define GAT_CPU_DISPATCH(name)                                         \
  template <typename T, typename... Args>                              \
  void name(Args&&... args) {                                          \
    if (use_avx2()) return avx2::name<T>(std::forward<Args>(args)...); \
    baseline::name<T>(std::forward<Args>(args)...);                    \
  }
#else
#define GAT_CPU_DISPATCH(name)                      \
  template <typename T, typename... Args>           \
  void name(Args&&... args) {                       \
    baseline::name<T>(std::forward<Args>(args)...); \
  }
#endif

namespace gat::ops {

// Whether the AVX2 kernels run: where the CPU has AVX2, unless GAT_CPU_CAPABILITY=baseline
// (the tests run both). Decided once per process; a bad value throws gat::Error on every call.
bool use_avx2();

// The same as a name: "avx2" or "baseline".
std::string cpu_kernels();

}  // namespace gat::ops
