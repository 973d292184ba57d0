// LibTorch's CPU allocator with freed large blocks kept for reuse, as LibTorch's CUDA caching
// allocator keeps GPU memory: a request of 1 MiB or more gets back the block of its size class
// that was freed last. A training step allocates the same large tensors in the same order every
// step, and glibc hands them memory from wherever its free lists have it; the block freed last
// is the one whose lines and page-table entries are likeliest still cached. A PPI batch's step
// on 2 threads was 1.8 % faster on average, faster in 11 of 14 alternated pairs (step_pairs.txt),
// most of it in the attention's memory-bound passes.
// The cache holds at most kMostCachedPerPeak times as many bytes as were ever live at once; past
// that, its oldest blocks go back to c10::free_cpu. Where a block is reused changes no result.
#pragma once

#include <c10/core/Allocator.h>

#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace gat {

class CachingCpuAllocator final : public c10::Allocator {
 public:
  // Requests below this go to c10::alloc_cpu and back, as LibTorch's own allocator sends them.
  static constexpr size_t kSmallestCached = size_t{1} << 20;
  static constexpr int64_t kMostCachedPerPeak = 2;

  // The process's one cache; install() makes it LibTorch's CPU allocator (c10::SetCPUAllocator),
  // after which every CPU tensor's memory comes from it. Blocks allocated before stay with their
  // own deleter.
  static CachingCpuAllocator& get();
  static void install();

  // The bytes a request takes: itself below kSmallestCached, else rounded up to one of eight
  // sizes per power of two (at most 1/8 more), so that a step's tensors reuse the last step's
  // blocks even where a batch's node count differs a little.
  static size_t block_size(size_t bytes);

  c10::DataPtr allocate(size_t bytes) const override;
  c10::DeleterFnPtr raw_deleter() const override;

  struct Counts {
    int64_t reused = 0, fresh = 0;  // cached-size requests served from the cache, or not
    int64_t live_bytes = 0, peak_live_bytes = 0, cached_bytes = 0;
  };
  Counts counts() const;

 private:
  CachingCpuAllocator() = default;
  static void release(void* data);
  void keep(void* data, size_t size);

  struct Block {
    void* data;
    size_t size;
  };
  mutable std::mutex mutex_;
  // Freed blocks, oldest first; by_size_ holds each size's blocks in the same order, so that a
  // request takes its size's last one and the cache, past its bound, frees the oldest of all.
  mutable std::list<Block> freed_;
  mutable std::unordered_map<size_t, std::vector<std::list<Block>::iterator>> by_size_;
  mutable std::unordered_map<void*, size_t> sizes_;  // every cached-size block handed out
  mutable Counts counts_;
};

}  // namespace gat
