// Physical memory from sysconf, a container's limit from cgroup v2.
#include "common/memory_limit.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

namespace gat {

int64_t available_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  int64_t bytes = pages > 0 && page > 0 ? static_cast<int64_t>(pages) * page : INT64_MAX;
  std::ifstream cgroup("/sys/fs/cgroup/memory.max");  // "max" when unlimited
  int64_t limit = 0;
  if (cgroup >> limit && limit > 0) bytes = std::min(bytes, limit);
  return bytes;
}

std::string human_bytes(double bytes) {
  if (bytes < 1024) return std::to_string(static_cast<int64_t>(bytes)) + " B";
  const char* const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"};
  std::size_t unit = 0;
  for (bytes /= 1024; bytes >= 1024 && unit + 1 < std::size(units); ++unit) bytes /= 1024;
  char text[64];
  std::snprintf(text, sizeof text, "%.1f %s", bytes, units[unit]);
  return text;
}

}  // namespace gat
