// Device selection, synchronisation, memory peaks and timing; the CUDA parts only in a CUDA build.
#include "common/device.h"

#include <chrono>

#include "common/error.h"

#if GAT_WITH_CUDA
#include <ATen/cuda/CUDAEvent.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAStream.h>
#endif

namespace gat {

torch::Device select_device(DeviceChoice choice, int local_rank) {
  const bool have_gpu = GAT_WITH_CUDA && torch::cuda::is_available();
  if (choice == DeviceChoice::kCpu || (choice == DeviceChoice::kAuto && !have_gpu)) return torch::Device(torch::kCPU);
  if (!GAT_WITH_CUDA)
    throw Error("train.device: cuda asked for, but this build has no CUDA (build against a CUDA LibTorch)");
  if (!have_gpu) throw Error("train.device: cuda asked for, but no CUDA device is visible");
#if GAT_WITH_CUDA
  const auto index = static_cast<c10::DeviceIndex>(local_rank % static_cast<int>(torch::cuda::device_count()));
  c10::cuda::set_device(index);
  return torch::Device(torch::kCUDA, index);
#else
  (void)local_rank;
  return torch::Device(torch::kCPU);
#endif
}

torch::Tensor to_device(const torch::Tensor& tensor, const torch::Device& device) {
  if (device.is_cpu() || tensor.is_sparse() || tensor.device() == device) return tensor.to(device);
  return tensor.pin_memory().to(device, /*non_blocking=*/true);
}

void synchronize(const torch::Device& device) {
#if GAT_WITH_CUDA
  if (device.is_cuda()) c10::cuda::getCurrentCUDAStream(device.index()).synchronize();
#else
  (void)device;
#endif
}

int64_t peak_memory_bytes(const torch::Device& device) {
#if GAT_WITH_CUDA
  if (device.is_cuda()) {
    const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device.index());
    return stats.allocated_bytes[static_cast<size_t>(c10::CachingAllocator::StatType::AGGREGATE)].peak;
  }
#else
  (void)device;
#endif
  return 0;
}

void reset_peak_memory(const torch::Device& device) {
#if GAT_WITH_CUDA
  if (device.is_cuda()) c10::cuda::CUDACachingAllocator::resetPeakStats(device.index());
#else
  (void)device;
#endif
}

struct DeviceTimer::Impl {
  torch::Device device;
  std::chrono::steady_clock::time_point begin, end;
#if GAT_WITH_CUDA
  at::cuda::CUDAEvent begin_event{cudaEventDefault}, end_event{cudaEventDefault};
#endif
};

DeviceTimer::DeviceTimer(const torch::Device& device) : impl_(new Impl{device, {}, {}}) {}
DeviceTimer::~DeviceTimer() = default;

void DeviceTimer::start() {
#if GAT_WITH_CUDA
  if (impl_->device.is_cuda()) return impl_->begin_event.record(c10::cuda::getCurrentCUDAStream(impl_->device.index()));
#endif
  impl_->begin = std::chrono::steady_clock::now();
}

void DeviceTimer::stop() {
#if GAT_WITH_CUDA
  if (impl_->device.is_cuda()) return impl_->end_event.record(c10::cuda::getCurrentCUDAStream(impl_->device.index()));
#endif
  impl_->end = std::chrono::steady_clock::now();
}

double DeviceTimer::seconds() {
#if GAT_WITH_CUDA
  if (impl_->device.is_cuda()) {
    impl_->end_event.synchronize();
    return impl_->begin_event.elapsed_time(impl_->end_event) / 1000.0;  // elapsed_time is in ms
  }
#endif
  return std::chrono::duration<double>(impl_->end - impl_->begin).count();
}

}  // namespace gat
