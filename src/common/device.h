// Where a rank's tensors live (the CPU or one GPU) and what the tools need to time and size work there.
#pragma once

#include <torch/torch.h>

#include <memory>

#include "common/choices.h"

namespace gat {

// train.device: the CPU, a GPU, or auto (a GPU when this build has CUDA and one is visible, else
// the CPU). With a GPU, local rank r of a node takes GPU r mod (visible GPUs) and makes it current.
// Throws gat::Error for cuda in a build or on a machine without one.
torch::Device select_device(DeviceChoice choice, int local_rank);

// `tensor` on `device`. To a GPU a dense tensor goes through pinned host memory, so the copy is
// queued on the current stream without blocking the host; the caching host allocator keeps the
// pinned block until the copy is done.
torch::Tensor to_device(const torch::Tensor& tensor, const torch::Device& device);

// Waits until the device has finished the work queued so far (nothing to wait for on the CPU).
void synchronize(const torch::Device& device);

// Bytes the device's caching allocator had allocated at most since the last reset (0 on the CPU,
// where gat_bench reports the peak resident set instead).
int64_t peak_memory_bytes(const torch::Device& device);
void reset_peak_memory(const torch::Device& device);

// Times a span of work queued on the device: CUDA events on the current stream for a GPU (no
// host synchronisation until seconds()), the wall clock for the CPU.
class DeviceTimer {
 public:
  explicit DeviceTimer(const torch::Device& device);
  ~DeviceTimer();
  DeviceTimer(const DeviceTimer&) = delete;
  DeviceTimer& operator=(const DeviceTimer&) = delete;

  void start();
  void stop();
  double seconds();  // waits for stop's point in the queue

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gat
