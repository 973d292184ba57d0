#pragma once
#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>
#include <c10/core/impl/alloc_cpu.h>
#include <cstdlib>
#include <mutex>
#include <unordered_map>
#include <vector>
// experiment: a CPU allocator that keeps freed blocks of >= 1 MiB by exact size and hands back
// the most recently freed one first
struct CachingCpu final : c10::Allocator {
  static std::mutex& m() { static std::mutex x; return x; }
  static std::unordered_map<size_t, std::vector<void*>>& free_() { static std::unordered_map<size_t, std::vector<void*>> f; return f; }
  static std::unordered_map<void*, size_t>& sizes() { static std::unordered_map<void*, size_t> s; return s; }
  static void del(void* p) {
    std::lock_guard<std::mutex> l(m());
    auto it = sizes().find(p);
    if (it == sizes().end()) { c10::free_cpu(p); return; }
    free_()[it->second].push_back(p);
  }
  c10::DataPtr allocate(size_t n) const override {
    if (n < (1u << 20)) { void* p = c10::alloc_cpu(n); return {p, p, &c10::free_cpu, c10::Device(c10::DeviceType::CPU)}; }
    std::lock_guard<std::mutex> l(m());
    auto& v = free_()[n];
    void* p;
    if (!v.empty()) { p = v.back(); v.pop_back(); } else { p = c10::alloc_cpu(n); sizes()[p] = n; }
    return {p, p, &del, c10::Device(c10::DeviceType::CPU)};
  }
  c10::DeleterFnPtr raw_deleter() const override { return nullptr; }
};
inline void maybe_install_caching_cpu() {
  if (!std::getenv("GAT_CACHE")) return;
  static CachingCpu a;
  c10::SetCPUAllocator(&a, 100);
}
