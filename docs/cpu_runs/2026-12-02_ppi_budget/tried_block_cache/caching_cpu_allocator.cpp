#include "common/caching_cpu_allocator.h"

#include <c10/core/CPUAllocator.h>
#include <c10/core/impl/alloc_cpu.h>

#include <algorithm>

namespace gat {

CachingCpuAllocator& CachingCpuAllocator::get() {
  static CachingCpuAllocator* cache = new CachingCpuAllocator();  // never destroyed: tensors may outlive main
  return *cache;
}

void CachingCpuAllocator::install() {
  // Above the priority of LibTorch's own registration (0), so that no later default replaces it.
  static const bool installed = (c10::SetCPUAllocator(&get(), 1), true);
  (void)installed;
}

size_t CachingCpuAllocator::block_size(size_t bytes) {
  if (bytes < kSmallestCached) return bytes;
  size_t octave = kSmallestCached;
  while (octave <= bytes / 2) octave *= 2;  // the power of two at or below bytes
  const size_t step = octave / 8;
  return (bytes + step - 1) / step * step;
}

c10::DataPtr CachingCpuAllocator::allocate(size_t bytes) const {
  const c10::Device cpu(c10::DeviceType::CPU);
  if (bytes < kSmallestCached) {
    void* data = c10::alloc_cpu(bytes);
    return {data, data, &release, cpu};
  }
  const size_t size = block_size(bytes);
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    counts_.live_bytes += static_cast<int64_t>(size);
    counts_.peak_live_bytes = std::max(counts_.peak_live_bytes, counts_.live_bytes);
    const auto same = by_size_.find(size);
    if (same != by_size_.end() && !same->second.empty()) {
      void* data = same->second.back()->data;
      freed_.erase(same->second.back());
      same->second.pop_back();
      counts_.cached_bytes -= static_cast<int64_t>(size);
      ++counts_.reused;
      return {data, data, &release, cpu};
    }
    ++counts_.fresh;
  }
  void* data = c10::alloc_cpu(size);  // outside the lock: it may fault in pages
  const std::lock_guard<std::mutex> lock(mutex_);
  sizes_[data] = size;
  return {data, data, &release, cpu};
}

c10::DeleterFnPtr CachingCpuAllocator::raw_deleter() const { return &release; }

CachingCpuAllocator::Counts CachingCpuAllocator::counts() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return counts_;
}

void CachingCpuAllocator::release(void* data) {
  CachingCpuAllocator& cache = get();
  std::unique_lock<std::mutex> lock(cache.mutex_);
  const auto known = cache.sizes_.find(data);
  if (known == cache.sizes_.end()) {  // a small block
    lock.unlock();
    c10::free_cpu(data);
    return;
  }
  cache.keep(data, known->second);
}

void CachingCpuAllocator::keep(void* data, size_t size) {
  counts_.live_bytes -= static_cast<int64_t>(size);
  by_size_[size].push_back(freed_.insert(freed_.end(), Block{data, size}));
  counts_.cached_bytes += static_cast<int64_t>(size);
  // The bound, twice the peak: a step's tensors of several sizes share a class, so the blocks it
  // needs add up to more than its peak (PPI's batch: 281 MB for a peak of 183 MB).
  while (counts_.cached_bytes > kMostCachedPerPeak * counts_.peak_live_bytes) {
    const Block oldest = freed_.front();
    std::vector<std::list<Block>::iterator>& same = by_size_[oldest.size];
    same.erase(same.begin());  // the oldest of its size too, as each size's list is in freeing order
    freed_.pop_front();
    sizes_.erase(oldest.data);
    counts_.cached_bytes -= static_cast<int64_t>(oldest.size);
    c10::free_cpu(oldest.data);
  }
}

}  // namespace gat
