// What a test may set of the emulator (emulator.cpp) between launches.
#pragma once

namespace gat::cuda_emulation {

// The order in which a launch runs its blocks, and a block its runnable threads: by index, or from
// the last down. A race that a missing barrier causes shows only where its reader runs first.
enum class Order { kForward, kReverse };

// Sets the order of later launches for as long as it lives; then the order before it is back.
class ScopedOrder {
 public:
  explicit ScopedOrder(Order order);
  ~ScopedOrder();
  ScopedOrder(const ScopedOrder&) = delete;
  ScopedOrder& operator=(const ScopedOrder&) = delete;

 private:
  Order before_;
};

}  // namespace gat::cuda_emulation
