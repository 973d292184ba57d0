#include "common/caching_cpu_allocator.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

using gat::CachingCpuAllocator;

namespace {
constexpr size_t kMiB = size_t{1} << 20;
}

// Below 1 MiB a request is its own size; from there on it is rounded up to a multiple of an
// eighth of the power of two at or below it, so never by more than an eighth.
TEST(CachingCpuAllocator, BlockSizeRoundsUpToAnEighthOfItsPowerOfTwo) {
  EXPECT_EQ(CachingCpuAllocator::block_size(1000), 1000u);
  EXPECT_EQ(CachingCpuAllocator::block_size(kMiB - 1), kMiB - 1);
  EXPECT_EQ(CachingCpuAllocator::block_size(kMiB), kMiB);
  EXPECT_EQ(CachingCpuAllocator::block_size(kMiB + 1), kMiB + kMiB / 8);
  EXPECT_EQ(CachingCpuAllocator::block_size(4490 * 1024 * 4), 18 * kMiB);  // a PPI batch's [N, 1024]
  EXPECT_EQ(CachingCpuAllocator::block_size(31 * kMiB + 1), 32 * kMiB);
  for (size_t bytes = kMiB; bytes < (size_t{1} << 34); bytes = bytes * 13 / 7 + 12345) {
    const size_t size = CachingCpuAllocator::block_size(bytes);
    size_t octave = 1;
    while (2 * octave <= bytes) octave *= 2;
    EXPECT_GE(size, bytes);
    EXPECT_LE(size, bytes + bytes / 8);
    EXPECT_EQ(size % (octave / 8), 0u) << bytes;
  }
}

// A freed block goes to the next request of its size class, the block freed last first; a request
// of another class does not take it. The memory is the caller's to write.
TEST(CachingCpuAllocator, HandsBackTheBlockItsSizeClassFreedLast) {
  CachingCpuAllocator& cache = CachingCpuAllocator::get();
  c10::DataPtr a = cache.allocate(3 * kMiB), b = cache.allocate(3 * kMiB - 1000);
  void *at_a = a.get(), *at_b = b.get();
  a.clear();
  b.clear();
  const CachingCpuAllocator::Counts before = cache.counts();
  c10::DataPtr other = cache.allocate(5 * kMiB);
  EXPECT_NE(other.get(), at_a);
  EXPECT_NE(other.get(), at_b);
  c10::DataPtr first = cache.allocate(3 * kMiB - 10), second = cache.allocate(3 * kMiB);
  EXPECT_EQ(first.get(), at_b);
  EXPECT_EQ(second.get(), at_a);
  std::memset(first.get(), 1, 3 * kMiB - 10);
  std::memset(second.get(), 2, 3 * kMiB);
  const CachingCpuAllocator::Counts after = cache.counts();
  EXPECT_EQ(after.reused - before.reused, 2);
  EXPECT_EQ(after.cached_bytes - before.cached_bytes, -6 * static_cast<int64_t>(kMiB));
  EXPECT_EQ(after.live_bytes - before.live_bytes, 6 * static_cast<int64_t>(kMiB) + 5 * static_cast<int64_t>(kMiB));
}

// Small blocks go to c10::alloc_cpu and back; the cache neither counts nor keeps them.
TEST(CachingCpuAllocator, LeavesSmallBlocksAlone) {
  CachingCpuAllocator& cache = CachingCpuAllocator::get();
  const CachingCpuAllocator::Counts before = cache.counts();
  for (int i = 0; i < 3; ++i) {
    c10::DataPtr small = cache.allocate(kMiB - 1);
    std::memset(small.get(), 3, kMiB - 1);
  }
  const CachingCpuAllocator::Counts after = cache.counts();
  EXPECT_EQ(after.reused, before.reused);
  EXPECT_EQ(after.fresh, before.fresh);
  EXPECT_EQ(after.cached_bytes, before.cached_bytes);
  EXPECT_EQ(after.live_bytes, before.live_bytes);
}

// Blocks of ever new sizes, as batches of other node counts make, one live at a time: the cache
// would hold them all, about 760 MiB, but keeps at most twice the peak of live bytes and frees the
// rest.
TEST(CachingCpuAllocator, KeepsAtMostTwiceThePeakOfLiveBytes) {
  CachingCpuAllocator& cache = CachingCpuAllocator::get();
  size_t freed = 0;
  for (size_t octave = kMiB; octave <= 32 * kMiB; octave *= 2)
    for (size_t eighth = 0; eighth < 8; ++eighth) {
      const size_t bytes = octave + eighth * (octave / 8);
      c10::DataPtr block = cache.allocate(bytes);
      block.clear();
      freed += bytes;
      const CachingCpuAllocator::Counts now = cache.counts();
      ASSERT_LE(now.cached_bytes, CachingCpuAllocator::kMostCachedPerPeak * now.peak_live_bytes) << bytes;
    }
  const CachingCpuAllocator::Counts end = cache.counts();
  EXPECT_LT(end.peak_live_bytes, 64 * static_cast<int64_t>(kMiB));
  EXPECT_LT(end.cached_bytes, static_cast<int64_t>(freed) / 4);
}
