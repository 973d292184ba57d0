// MpiCommunicator: the only code that includes mpi.h.
#include "dist/mpi_communicator.h"

#include <mpi.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <thread>

#include "common/error.h"

namespace gat::dist {
namespace {

// Every MPI call goes through this check: the error names the call, the rank and MPI's own text.
#define MPI_CHECK(call)                                                                                \
  do {                                                                                                 \
    const int mpi_rc = (call);                                                                         \
    if (mpi_rc != MPI_SUCCESS) throw std::runtime_error(mpi_error(#call, mpi_rc, __FILE__, __LINE__)); \
  } while (0)

std::string mpi_error(const char* call, int rc, const char* file, int line) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(rc, text, &length);
  int rank = -1, initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized) MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return std::string(call) + " failed on rank " + std::to_string(rank) + " (" + file + ":" + std::to_string(line) +
         "): " + std::string(text, length);
}

MPI_Datatype mpi_type(const torch::Tensor& t) {
  switch (t.scalar_type()) {
    case torch::kFloat32:
      return MPI_FLOAT;
    case torch::kFloat64:
      return MPI_DOUBLE;
    case torch::kInt64:
      return MPI_INT64_T;
    case torch::kInt32:
      return MPI_INT32_T;
    case torch::kUInt8:
      return MPI_UINT8_T;
    default:
      throw std::runtime_error(std::string("MpiCommunicator: unsupported dtype ") + c10::toString(t.scalar_type()));
  }
}

// MPI moves host memory: a GPU tensor goes through a host copy, and the result is copied back
// (dist.backend: nccl keeps gradients on the GPU instead).
torch::Tensor host_buffer(const torch::Tensor& t, const char* what) {
  if (!t.is_contiguous() || !(t.is_cpu() || t.is_cuda()))
    throw std::runtime_error(std::string("MpiCommunicator::") + what + ": expected a contiguous CPU or CUDA tensor");
  return t.is_cpu() ? t : t.cpu();
}

void copy_back(torch::Tensor& tensor, const torch::Tensor& host) {
  if (!tensor.is_cpu()) tensor.copy_(host);
}

}  // namespace

MpiCommunicator::MpiCommunicator() {
  int initialized = 0;
  MPI_CHECK(MPI_Initialized(&initialized));
  if (!initialized) {
    int provided = 0;
    // Only the main thread calls MPI; LibTorch's worker threads never do.
    MPI_CHECK(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided));
    initialized_here_ = true;
  }
  // Errors come back as return codes so MPI_CHECK can name the call, instead of MPI aborting.
  MPI_CHECK(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN));
  MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &rank_));
  MPI_CHECK(MPI_Comm_size(MPI_COMM_WORLD, &size_));
  MPI_Comm node;
  MPI_CHECK(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node));
  MPI_CHECK(MPI_Comm_rank(node, &local_rank_));
  MPI_CHECK(MPI_Comm_size(node, &local_size_));
  MPI_CHECK(MPI_Comm_free(&node));
  MPI_Comm failures;
  MPI_CHECK(MPI_Comm_dup(MPI_COMM_WORLD, &failures));
  failures_ = MPI_Comm_c2f(failures);
}

MpiCommunicator::~MpiCommunicator() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized) return;
  MPI_Comm failures = MPI_Comm_f2c(failures_);
  MPI_Comm_free(&failures);
  if (initialized_here_) MPI_Finalize();
}

namespace {

// Whether `request` completes within `seconds`. Polling with MPI_Test also drives MPI's progress;
// after a short spin it sleeps between polls to leave the core free.
bool completes_within(MPI_Request* request, double seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  for (int polls = 0;; ++polls) {
    int done = 0;
    MPI_CHECK(MPI_Test(request, &done, MPI_STATUS_IGNORE));
    if (done) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    if (polls > 1000) std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
}

// Waits for `request`, or ends the job once `timeout_s` (> 0) has passed.
void wait_within(MPI_Request* request, double timeout_s, int rank, const std::string& what) {
  if (timeout_s <= 0) {
    MPI_CHECK(MPI_Wait(request, MPI_STATUS_IGNORE));
    return;
  }
  if (completes_within(request, timeout_s)) return;
  std::ostringstream line;
  line << "gat: rank " << rank << ": " << what << " did not complete within " << timeout_s
       << " s (dist.timeout_s): another rank died or hangs; ending the job\n";
  std::cerr << line.str() << std::flush;
  MPI_Abort(MPI_COMM_WORLD, kCollectiveTimeoutExit);
  std::_Exit(kCollectiveTimeoutExit);
}

std::string describe(const char* collective, const torch::Tensor& t) {
  return std::string(collective) + " of " + std::to_string(t.numel()) + " " +
         std::string(c10::toString(t.scalar_type()));
}

}  // namespace

void MpiCommunicator::broadcast(torch::Tensor& tensor, int root) {
  torch::Tensor host = host_buffer(tensor, "broadcast");
  MPI_Request request;
  MPI_CHECK(
      MPI_Ibcast(host.data_ptr(), static_cast<int>(host.numel()), mpi_type(host), root, MPI_COMM_WORLD, &request));
  wait_within(&request, timeout_s_, rank_, describe("broadcast", host));
  copy_back(tensor, host);
}

void MpiCommunicator::all_reduce(torch::Tensor& tensor, ReduceOp op) {
  torch::Tensor host = host_buffer(tensor, "all_reduce");
  MPI_Request request;
  MPI_CHECK(MPI_Iallreduce(MPI_IN_PLACE, host.data_ptr(), static_cast<int>(host.numel()), mpi_type(host), MPI_SUM,
                           MPI_COMM_WORLD, &request));
  wait_within(&request, timeout_s_, rank_, describe("all_reduce", host));
  if (op == ReduceOp::kAvg) host.div_(size_);
  copy_back(tensor, host);
}

namespace {

// An MPI_Iallreduce in flight; averaging, which MPI has no operation for, happens in wait().
class MpiWork final : public Work {
 public:
  MpiWork(torch::Tensor tensor, torch::Tensor host, ReduceOp op, int size, double timeout_s, int rank)
      : tensor_(std::move(tensor)), host_(std::move(host)), op_(op), size_(size), timeout_s_(timeout_s), rank_(rank) {}
  MPI_Request* request() { return &request_; }
  void* buffer() { return host_.data_ptr(); }
  void wait() override {
    if (request_ == MPI_REQUEST_NULL) return;
    wait_within(&request_, timeout_s_, rank_, describe("gradient all_reduce", host_));
    if (op_ == ReduceOp::kAvg) host_.div_(size_);
    copy_back(tensor_, host_);
  }
  ~MpiWork() override {
    if (request_ != MPI_REQUEST_NULL) MPI_Wait(&request_, MPI_STATUS_IGNORE);  // never free a buffer MPI still uses
  }

 private:
  torch::Tensor tensor_, host_;  // host_ is tensor_ itself for a CPU tensor
  ReduceOp op_;
  int size_;
  double timeout_s_;
  int rank_;
  MPI_Request request_ = MPI_REQUEST_NULL;
};

}  // namespace

std::unique_ptr<Work> MpiCommunicator::all_reduce_async(torch::Tensor& tensor, ReduceOp op) {
  auto work = std::make_unique<MpiWork>(tensor, host_buffer(tensor, "all_reduce_async"), op, size_, timeout_s_, rank_);
  MPI_CHECK(MPI_Iallreduce(MPI_IN_PLACE, work->buffer(), static_cast<int>(tensor.numel()), mpi_type(tensor), MPI_SUM,
                           MPI_COMM_WORLD, work->request()));
  return work;
}

void MpiCommunicator::barrier() {
  MPI_Request request;
  MPI_CHECK(MPI_Ibarrier(MPI_COMM_WORLD, &request));
  wait_within(&request, timeout_s_, rank_, "barrier");
}

bool MpiCommunicator::all_fail_alike(uint64_t fingerprint, double seconds) {
  // The maxima of the fingerprint and of its complement: every rank's is the same exactly when the
  // largest equals the smallest, ~max(~x).
  uint64_t extremes[2] = {fingerprint, ~fingerprint};
  MPI_Request request;
  if (MPI_Iallreduce(MPI_IN_PLACE, extremes, 2, MPI_UINT64_T, MPI_MAX, MPI_Comm_f2c(failures_), &request) !=
      MPI_SUCCESS)
    return false;
  return completes_within(&request, seconds) && extremes[0] == ~extremes[1];
}

void MpiCommunicator::abort(int exit_code) {
  MPI_Abort(MPI_COMM_WORLD, exit_code);
  std::_Exit(exit_code);  // MPI_Abort does not return; this is for a broken MPI
}

bool launched_by_mpi() {
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "MPI_LOCALNRANKS"})
    if (std::getenv(var)) return true;
  return false;
}

std::unique_ptr<Communicator> make_communicator() {
  if (launched_by_mpi()) return std::make_unique<MpiCommunicator>();
  return std::make_unique<LocalCommunicator>();
}

}  // namespace gat::dist
