// GAT_CPU_CAPABILITY read once, against what the CPU and the build can run.
#include "ops/cpu_capability.h"

#include <cstdlib>

#include "common/error.h"

namespace gat::ops {

bool use_avx2() {
  static const bool avx2 = [] {
    const char* asked = std::getenv("GAT_CPU_CAPABILITY");
    const std::string capability = asked ? asked : "";
    if (!capability.empty() && capability != "baseline" && capability != "avx2")
      throw Error("GAT_CPU_CAPABILITY: expected baseline or avx2, got '" + capability + "'");
#if GAT_HAS_AVX2_KERNELS
    const bool cpu_has_avx2 = __builtin_cpu_supports("avx2");
#else
    const bool cpu_has_avx2 = false;
#endif
    if (capability == "avx2" && !cpu_has_avx2)
      throw Error("GAT_CPU_CAPABILITY: avx2 asked for, but this CPU or build has no AVX2 kernels");
    return capability != "baseline" && cpu_has_avx2;
  }();
  return avx2;
}

std::string cpu_kernels() { return use_avx2() ? "avx2" : "baseline"; }

}  // namespace gat::ops
