#pragma once
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
struct ProbeTable {
  std::map<std::string, std::pair<double, long>> t;
  std::mutex m;
  ~ProbeTable() {
    for (auto& [k, v] : t) std::fprintf(stderr, "PROBE %-40s %10.2f ms %6ld calls\n", k.c_str(), v.first * 1e3, v.second);
  }
};
inline ProbeTable& probe_table() { static ProbeTable p; return p; }
struct Probe {
  const char* name;
  std::chrono::steady_clock::time_point s = std::chrono::steady_clock::now();
  explicit Probe(const char* n) : name(n) {}
  ~Probe() {
    double d = std::chrono::duration<double>(std::chrono::steady_clock::now() - s).count();
    std::lock_guard<std::mutex> l(probe_table().m);
    auto& e = probe_table().t[name]; e.first += d; e.second++;
  }
};
#define PROBE_CAT2(a,b) a##b
#define PROBE_CAT(a,b) PROBE_CAT2(a,b)
#define PROBE(n) Probe PROBE_CAT(probe_, __LINE__)(n)
