// NcclCommunicator: the only code that includes nccl.h.
#include "dist/nccl_communicator.h"

#include <ATen/cuda/CUDAEvent.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <nccl.h>

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace gat::dist {
namespace {

ncclDataType_t nccl_type(const torch::Tensor& t) {
  switch (t.scalar_type()) {
    case torch::kFloat32:
      return ncclFloat32;
    case torch::kFloat64:
      return ncclFloat64;
    case torch::kInt64:
      return ncclInt64;
    case torch::kInt32:
      return ncclInt32;
    case torch::kUInt8:
      return ncclUint8;
    default:
      throw std::runtime_error(std::string("NcclCommunicator: unsupported dtype ") + c10::toString(t.scalar_type()));
  }
}

class NcclCommunicator;

// An all-reduce queued on the NCCL stream; wait() makes the current stream wait for it.
class NcclWork final : public Work {
 public:
  NcclWork(NcclCommunicator& comm, std::shared_ptr<at::cuda::CUDAEvent> done) : comm_(comm), done_(std::move(done)) {}
  void wait() override;

 private:
  NcclCommunicator& comm_;
  std::shared_ptr<at::cuda::CUDAEvent> done_;
};

class NcclCommunicator final : public Communicator {
 public:
  NcclCommunicator(Communicator& host, const torch::Device& device)
      : host_(host), device_(device), stream_(c10::cuda::getStreamFromPool(/*isHighPriority=*/true, device.index())) {
    ncclUniqueId id{};
    if (host_.rank() == 0) check("ncclGetUniqueId", ncclGetUniqueId(&id));
    torch::Tensor id_bytes = torch::from_blob(&id, {static_cast<int64_t>(sizeof(id))}, torch::kUInt8);
    host_.broadcast(id_bytes, 0);
    const c10::cuda::CUDAGuard guard(device_);
    ncclComm_t comm = nullptr;
    check("ncclCommInitRank", ncclCommInitRank(&comm, host_.size(), id, host_.rank()));
    comm_ = comm;  // only a communicator that started is ever aborted or destroyed
  }

  ~NcclCommunicator() override {
    if (comm_) ncclCommDestroy(comm_);
  }

  int rank() const override { return host_.rank(); }
  int size() const override { return host_.size(); }
  int local_rank() const override { return host_.local_rank(); }
  int local_size() const override { return host_.local_size(); }

  void broadcast(torch::Tensor& tensor, int root) override {
    if (!tensor.is_cuda()) return host_.broadcast(tensor, root);
    enqueue(tensor, [&](cudaStream_t stream) {
      check("ncclBroadcast", ncclBroadcast(tensor.data_ptr(), tensor.data_ptr(), tensor.numel(), nccl_type(tensor),
                                           root, comm_, stream));
    })->block(current_stream());
  }

  void all_reduce(torch::Tensor& tensor, ReduceOp op) override {
    if (!tensor.is_cuda()) return host_.all_reduce(tensor, op);
    start_all_reduce(tensor, op)->block(current_stream());
  }

  std::unique_ptr<Work> all_reduce_async(torch::Tensor& tensor, ReduceOp op) override {
    if (!tensor.is_cuda()) return host_.all_reduce_async(tensor, op);
    return std::make_unique<NcclWork>(*this, start_all_reduce(tensor, op));
  }

  void barrier() override { host_.barrier(); }
  void set_timeout(double seconds) override { host_.set_timeout(seconds); }

  [[noreturn]] void abort(int exit_code) override {
    if (comm_) ncclCommAbort(comm_);
    comm_ = nullptr;
    host_.abort(exit_code);
    std::_Exit(exit_code);  // not reached: the host's abort ends the process
  }

  // NCCL reports some failures (a peer gone, a network error) only asynchronously.
  void check_async_error() {
    ncclResult_t async = ncclSuccess;
    check("ncclCommGetAsyncError", ncclCommGetAsyncError(comm_, &async));
    check("an NCCL collective in flight", async);
  }

  c10::cuda::CUDAStream current_stream() const { return c10::cuda::getCurrentCUDAStream(device_.index()); }

 private:
  std::shared_ptr<at::cuda::CUDAEvent> start_all_reduce(torch::Tensor& tensor, ReduceOp op) {
    return enqueue(tensor, [&](cudaStream_t stream) {
      check("ncclAllReduce", ncclAllReduce(tensor.data_ptr(), tensor.data_ptr(), tensor.numel(), nccl_type(tensor),
                                           op == ReduceOp::kAvg ? ncclAvg : ncclSum, comm_, stream));
    });
  }

  // Queues launch(nccl stream) after the current stream's work on `tensor`; returns the event
  // that marks its end.
  template <typename Launch>
  std::shared_ptr<at::cuda::CUDAEvent> enqueue(torch::Tensor& tensor, const Launch& launch) {
    if (!tensor.is_contiguous() || tensor.device() != device_)
      throw std::runtime_error("NcclCommunicator: expected a contiguous tensor on " + device_.str());
    const c10::cuda::CUDAGuard guard(device_);
    at::cuda::CUDAEvent ready;
    ready.record(current_stream());
    ready.block(stream_);
    // The caching allocator must not hand this memory to another tensor before NCCL is done with it.
    c10::cuda::CUDACachingAllocator::recordStream(tensor.storage().data_ptr(), stream_);
    launch(stream_.stream());
    auto done = std::make_shared<at::cuda::CUDAEvent>();
    done->record(stream_);
    return done;
  }

  void check(const char* call, ncclResult_t rc) {
    if (rc == ncclSuccess) return;
    const std::string message = std::string(call) + " failed on rank " + std::to_string(host_.rank()) + ": " +
                                ncclGetErrorString(rc) + " (" + ncclGetLastError(comm_) + ")";
    if (comm_) ncclCommAbort(comm_);  // leaves no rank waiting inside a collective of this communicator
    comm_ = nullptr;
    throw std::runtime_error(message);
  }

  Communicator& host_;
  torch::Device device_;
  c10::cuda::CUDAStream stream_;
  ncclComm_t comm_ = nullptr;
};

void NcclWork::wait() {
  comm_.check_async_error();
  done_->block(comm_.current_stream());
}

}  // namespace

std::unique_ptr<Communicator> make_nccl_communicator(Communicator& host, const torch::Device& device) {
  return std::make_unique<NcclCommunicator>(host, device);
}

}  // namespace gat::dist
