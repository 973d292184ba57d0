// The emulator behind cuda_runtime.h: a launch's blocks run one after another; a block's threads
// are fibers on the calling thread, run in index order or its reverse (emulator.h), each until it
// reaches a barrier or ends.
// A barrier opens when every thread of its block (__syncthreads) or warp (a shuffle) that has not
// ended is waiting at it. The errors of CUDA C++ that this can see are exceptions: a block whose
// threads wait at barriers that never open, a shuffle in a warp whose lanes have not all come (some
// ended, or the warp is not whole), a shuffle over fewer than all lanes.
//
// Thread i of every block runs on fiber i, which lives from launch to launch: it is started once
// (makecontext) and switched to and from with _setjmp/_longjmp, which unlike swapcontext make no
// system call (swapcontext's signal mask calls took four fifths of the kernels' test).
#undef _FORTIFY_SOURCE  // its longjmp refuses to jump to another stack, which is the point here
#include <setjmp.h>
#include <ucontext.h>
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#endif

#include <algorithm>
#include <cstdint>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "cuda_runtime.h"
#include "emulator.h"

dim3 threadIdx, blockIdx, blockDim, gridDim;

namespace gat::cuda_emulation {
namespace {

constexpr int kWarp = 32;
constexpr unsigned kMaxThreadsPerBlock = 1024;
constexpr std::size_t kStackBytes = 256 * 1024;
constexpr std::size_t kMaxShuffleBytes = 16;

cudaError_t last_error = cudaSuccess;
Order order = Order::kForward;

// The i-th of `count` in the order set: i, or count - 1 - i.
unsigned nth(unsigned i, unsigned count) { return order == Order::kForward ? i : count - 1 - i; }

// A barrier: `arrived` of its members wait; it opens by moving to the next generation.
struct Barrier {
  int arrived = 0;
  uint64_t generation = 0;
};

struct Fiber {
  std::unique_ptr<char[]> stack{new char[kStackBytes]};
  void* asan_fake_stack = nullptr;  // AddressSanitizer's, while the fiber is switched out
  ucontext_t start;
  jmp_buf resume;     // where it left off: at a barrier, or done with its last thread
  bool fresh = true;  // to be started from the top of its stack
  // The thread it runs in the current block.
  unsigned index = 0;
  bool ended = false;
  Barrier* waiting_at = nullptr;  // and the generation it waits to see pass
  uint64_t waiting_for = 0;
};

// A shuffle's values sit in the half of `values` its barrier's generation picks: a lane can only
// publish the next shuffle's after the whole warp has arrived there, that is, read this one's.
struct Warp {
  Barrier barrier;
  int lanes = 0, ended = 0;
  unsigned char values[2][kWarp][kMaxShuffleBytes];
};

struct Block {
  jmp_buf scheduler;
  unsigned threads = 0, ended = 0;
  std::vector<Warp> warps;
  Barrier barrier;
  Fiber* running = nullptr;
  void (*body)(void*) = nullptr;
  void* context = nullptr;
  std::exception_ptr error;
};

std::vector<std::unique_ptr<Fiber>> fibers;  // fiber i runs thread i of every block
Block* block = nullptr;                      // the block being run

// AddressSanitizer is told of each switch between the scheduler's stack and a fiber's (its fiber
// interface). Otherwise an exception thrown on a fiber leaves the frames it unwinds marked as
// redzones, since ASan clears them only on the stack it knows, and a later access there is
// reported falsely. Without ASan these do nothing.
struct StackSwitch {
  void* scheduler_fake_stack = nullptr;
  const void* scheduler_bottom = nullptr;
  std::size_t scheduler_size = 0;
} stack_switch;

#if defined(__SANITIZE_ADDRESS__)
void leaving(void** fake_stack, const void* bottom, std::size_t size) {
  __sanitizer_start_switch_fiber(fake_stack, bottom, size);
}
void arrived(void* fake_stack, const void** bottom_left, std::size_t* size_left) {
  __sanitizer_finish_switch_fiber(fake_stack, bottom_left, size_left);
}
#else
void leaving(void**, const void*, std::size_t) {}
void arrived(void*, const void**, std::size_t*) {}
#endif

void arrived_on_fiber(Fiber& self) {
  arrived(self.asan_fake_stack, &stack_switch.scheduler_bottom, &stack_switch.scheduler_size);
}

// Back to the scheduler, to carry on from here when it resumes this fiber.
void yield(Fiber& self) {
  if (_setjmp(self.resume) != 0) return arrived_on_fiber(self);
  leaving(&self.asan_fake_stack, stack_switch.scheduler_bottom, stack_switch.scheduler_size);
  _longjmp(block->scheduler, 1);
}

// Arrive at `barrier` with `members` threads still running; the last to arrive opens it.
void arrive(Barrier& barrier, int members) {
  if (++barrier.arrived == members) {
    barrier.arrived = 0;
    ++barrier.generation;
    return;
  }
  Fiber& self = *block->running;
  self.waiting_at = &barrier;
  self.waiting_for = barrier.generation;
  yield(self);
}

// Bookkeeping of a thread that has returned from the kernel.
void end_thread(Fiber& self) {
  self.ended = true;
  ++block->ended;
  Warp& warp = block->warps[self.index / kWarp];
  ++warp.ended;
  // Threads that end count as arrived at __syncthreads(); lanes of a warp mid-shuffle may not end.
  Barrier& b = block->barrier;
  if (b.arrived > 0 && b.arrived == static_cast<int>(block->threads - block->ended)) {
    b.arrived = 0;
    ++b.generation;
  }
  if (warp.barrier.arrived > 0 && !block->error)
    block->error = std::make_exception_ptr(std::logic_error("thread " + std::to_string(self.index) + " of block " +
                                                            std::to_string(blockIdx.x) +
                                                            " ended while lanes of its warp wait at a shuffle"));
}

// A fiber's life: each time it is resumed after finishing a thread, it runs the next.
void fiber_main() {
  arrived_on_fiber(*block->running);
  for (;;) {
    Fiber& self = *block->running;
    try {
      block->body(block->context);
    } catch (...) {
      if (!block->error) block->error = std::current_exception();
    }
    end_thread(self);
    yield(self);
  }
}

void resume(Fiber& f) {
  if (_setjmp(block->scheduler) != 0)
    return arrived(stack_switch.scheduler_fake_stack, nullptr, nullptr);  // f yielded or ended
  leaving(&stack_switch.scheduler_fake_stack, f.stack.get(), kStackBytes);
  if (!f.fresh) _longjmp(f.resume, 1);
  f.fresh = false;
  getcontext(&f.start);
  f.start.uc_stack.ss_sp = f.stack.get();
  f.start.uc_stack.ss_size = kStackBytes;
  f.start.uc_link = nullptr;
  makecontext(&f.start, fiber_main, 0);
  setcontext(&f.start);
}

bool runnable(const Fiber& f) {
  return !f.ended && (f.waiting_at == nullptr || f.waiting_at->generation != f.waiting_for);
}

void run_block(Block& b) {
  for (;;) {
    bool ran = false;
    for (unsigned step = 0; step < b.threads; ++step) {
      const unsigned i = nth(step, b.threads);
      Fiber& f = *fibers[i];
      if (!runnable(f)) continue;
      f.waiting_at = nullptr;
      b.running = &f;
      threadIdx = dim3(i);
      resume(f);
      ran = true;
      if (b.error) std::rethrow_exception(b.error);
    }
    if (b.ended == b.threads) return;
    if (!ran)
      throw std::logic_error("block " + std::to_string(blockIdx.x) + ": " + std::to_string(b.threads - b.ended) +
                             " threads wait at barriers that the others never reach");
  }
}

}  // namespace

ScopedOrder::ScopedOrder(Order o) : before_(order) { order = o; }
ScopedOrder::~ScopedOrder() { order = before_; }

int lane() { return static_cast<int>(block->running->index % kWarp); }

void exchange(unsigned lanes, const void* in, void* out, std::size_t bytes, int from) {
  Fiber& self = *block->running;
  Warp& warp = block->warps[self.index / kWarp];
  if (lanes != 0xffffffffu) throw std::logic_error("the emulator runs shuffles over whole warps only");
  if (bytes > kMaxShuffleBytes) throw std::logic_error("a shuffle of more than 16 bytes");
  if (warp.lanes != kWarp || warp.ended > 0)
    throw std::logic_error("thread " + std::to_string(self.index) + " of block " + std::to_string(blockIdx.x) +
                           " shuffles in a warp of " + std::to_string(warp.lanes - warp.ended) +
                           " running lanes; a full mask needs all 32");
  unsigned char(&values)[kWarp][kMaxShuffleBytes] = warp.values[warp.barrier.generation % 2];
  std::memcpy(values[self.index % kWarp], in, bytes);
  arrive(warp.barrier, kWarp);
  std::memcpy(out, values[from], bytes);
}

void run_grid(const LaunchConfig& config, void (*body)(void*), void* context) {
  const dim3 grid = config.grid, threads = config.block;
  if (grid.y != 1 || grid.z != 1 || threads.y != 1 || threads.z != 1)
    throw std::logic_error("the emulator runs one-dimensional grids and blocks only");
  if (threads.x == 0 || threads.x > kMaxThreadsPerBlock || grid.x == 0) {
    last_error = cudaErrorInvalidConfiguration;
    return;
  }
  while (fibers.size() < threads.x) fibers.push_back(std::make_unique<Fiber>());
  Block b;
  b.body = body;
  b.context = context;
  b.threads = threads.x;
  b.warps.resize((threads.x + kWarp - 1) / kWarp);
  gridDim = grid;
  blockDim = threads;
  block = &b;
  for (unsigned step = 0; step < grid.x; ++step) {
    blockIdx = dim3(nth(step, grid.x));
    b.barrier = Barrier{};
    b.ended = 0;
    for (std::size_t w = 0; w < b.warps.size(); ++w) {
      b.warps[w].barrier = Barrier{};
      b.warps[w].ended = 0;
      b.warps[w].lanes = static_cast<int>(std::min<std::size_t>(kWarp, threads.x - w * kWarp));
    }
    for (unsigned i = 0; i < threads.x; ++i) {
      Fiber& f = *fibers[i];
      f.index = i;
      f.ended = false;
      f.waiting_at = nullptr;
    }
    try {
      run_block(b);
    } catch (...) {
      // The block's unfinished fibers stopped mid-kernel: each starts afresh next time.
      for (unsigned i = 0; i < threads.x; ++i) fibers[i]->fresh = fibers[i]->fresh || !fibers[i]->ended;
      block = nullptr;
      throw;
    }
  }
  block = nullptr;
}

}  // namespace gat::cuda_emulation

void __syncthreads() {
  using namespace gat::cuda_emulation;
  arrive(block->barrier, static_cast<int>(block->threads - block->ended));
}

cudaError_t cudaGetLastError() {
  const cudaError_t error = gat::cuda_emulation::last_error;
  gat::cuda_emulation::last_error = cudaSuccess;
  return error;
}

const char* cudaGetErrorString(cudaError_t error) {
  switch (error) {
    case cudaSuccess:
      return "no error";
    case cudaErrorInvalidConfiguration:
      return "invalid configuration argument";
  }
  return "unknown error";
}
