// The emulator against what CUDA would compute, and against the mistakes it must refuse.
#include <gtest/gtest.h>

#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "emulator.h"
#include "emulator_kernels.h"

namespace {

using namespace gat::cuda_emulation::testing;
using gat::cuda_emulation::Order;
using gat::cuda_emulation::ScopedOrder;

// What the exception says, or "" where none is thrown.
template <typename Call>
std::string error_of(Call call) {
  try {
    call();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

TEST(CudaEmulator, BarrierHoldsEachThreadUntilTheBlockHasWrittenSharedMemoryInEitherOrder) {
  const unsigned blocks = 3, threads = 96;
  std::vector<float> in(blocks * threads);
  std::iota(in.begin(), in.end(), 0.0f);
  for (Order order : {Order::kForward, Order::kReverse}) {
    const ScopedOrder scoped(order);
    std::vector<float> out(in.size(), -1.0f);
    ASSERT_EQ(rotate_in_blocks(blocks, threads, in.data(), out.data()), cudaSuccess);
    for (unsigned b = 0; b < blocks; ++b)
      for (unsigned i = 0; i < threads; ++i)
        EXPECT_EQ(out[b * threads + i], in[b * threads + (i + 1) % threads])
            << "block " << b << ", thread " << i << (order == Order::kReverse ? ", in reverse" : "");
  }
}

// A read of shared memory that another thread writes with no barrier between: in thread order the
// writer always runs first and the result is right; in reverse every reader but thread 0 runs before
// its writer and reads what the previous launch left.
TEST(CudaEmulator, ReverseOrderShowsARaceThatThreadOrderHides) {
  const unsigned threads = 64;
  std::vector<float> first(threads), second(threads), out(threads);
  std::iota(first.begin(), first.end(), 0.0f);
  std::iota(second.begin(), second.end(), 1000.0f);
  ASSERT_EQ(shift_without_barrier(threads, first.data(), out.data()), cudaSuccess);
  for (unsigned i = 1; i < threads; ++i) ASSERT_EQ(out[i], first[i - 1]) << "thread " << i;
  const ScopedOrder reverse(Order::kReverse);
  ASSERT_EQ(shift_without_barrier(threads, second.data(), out.data()), cudaSuccess);
  for (unsigned i = 1; i < threads; ++i) EXPECT_EQ(out[i], first[i - 1]) << "thread " << i << " read a stale value";
}

TEST(CudaEmulator, ShufflesSumEachWarp) {
  const unsigned blocks = 2, threads = 64;
  std::vector<double> in(blocks * threads), out(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) in[i] = static_cast<double>(i * i % 7);
  ASSERT_EQ(warp_sums(blocks, threads, in.data(), out.data()), cudaSuccess);
  for (std::size_t i = 0; i < in.size(); ++i) {
    const std::size_t warp = i / 32 * 32;
    EXPECT_EQ(out[i], std::accumulate(in.begin() + warp, in.begin() + warp + 32, 0.0)) << "thread " << i;
  }
}

TEST(CudaEmulator, ABlockOfMoreThan1024ThreadsFailsToLaunch) {
  std::vector<float> in(2048), out(2048);
  EXPECT_EQ(rotate_in_blocks(1, 2048, in.data(), out.data()), cudaErrorInvalidConfiguration);
  EXPECT_EQ(cudaGetLastError(), cudaSuccess) << "the error is reset once read";
}

TEST(CudaEmulator, RefusesAShuffleInAPartWarp) {
  std::vector<double> in(48), out(48);
  EXPECT_EQ(error_of([&] { warp_sums(1, 48, in.data(), out.data()); }),
            "thread 32 of block 0 shuffles in a warp of 16 running lanes; a full mask needs all 32");
}

TEST(CudaEmulator, RefusesABlockWhoseThreadsWaitAtDifferentBarriers) {
  EXPECT_EQ(error_of([] { barrier_against_shuffle(); }),
            "block 0: 32 threads wait at barriers that the others never reach");
  // Its threads were left mid-kernel; the next launch starts them afresh.
  std::vector<double> in(32, 1.0), out(32);
  ASSERT_EQ(warp_sums(1, 32, in.data(), out.data()), cudaSuccess);
  EXPECT_EQ(out, std::vector<double>(32, 32.0));
}

TEST(CudaEmulator, RefusesALaneThatLeavesItsWarpMidShuffle) {
  EXPECT_EQ(error_of([] { lane_leaves_a_shuffle(); }),
            "thread 5 of block 0 ended while lanes of its warp wait at a shuffle");
}

}  // namespace
