// The one interface through which training talks to other ranks; transports live behind it.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>

namespace gat::dist {

enum class ReduceOp { kSum, kAvg };

// A collective in flight. wait() returns once the tensor holds the result.
class Work {
 public:
  virtual ~Work() = default;
  virtual void wait() = 0;
};

// Collectives over the ranks of one job. Every rank calls the same collectives in the same order.
// Tensors are flat and contiguous and reduced in place.
class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual int local_rank() const = 0;  // rank among the processes on this node
  virtual int local_size() const = 0;  // processes on this node
  virtual void broadcast(torch::Tensor& tensor, int root) = 0;
  virtual void all_reduce(torch::Tensor& tensor, ReduceOp op) = 0;
  // Starts an all-reduce and returns at once; the tensor must stay alive and untouched until
  // wait(). Ranks must start their collectives in the same order.
  virtual std::unique_ptr<Work> all_reduce_async(torch::Tensor& tensor, ReduceOp op) = 0;
  virtual void barrier() = 0;
  // Bounds every later collective, including a Work's wait(): one still unfinished after `seconds`
  // (0: no bound) ends the whole job with kCollectiveTimeoutExit and a line naming it. A rank that
  // died or hangs then cannot leave the others waiting forever. One rank has nothing to wait for.
  virtual void set_timeout(double seconds) { (void)seconds; }
  // For a rank about to end on an error, with a fingerprint of it: whether every rank meets the
  // same one, so that the job can end without an abort and rank 0 alone report it. True when every
  // rank calls this within `seconds` with the same fingerprint; false when they differ or a rank
  // does not come (it goes on, or waits in a collective). It runs apart from the collectives, so a
  // rank still at work never meets it. One rank agrees with itself.
  virtual bool all_fail_alike(uint64_t fingerprint, double seconds) {
    (void)fingerprint, (void)seconds;
    return size() == 1;
  }
  // Ends every rank of the job with a non-zero exit, for an error that would otherwise leave the
  // others waiting in a collective forever.
  [[noreturn]] virtual void abort(int exit_code) = 0;
};

// A job of one rank: collectives are the identity. Needs no launcher.
class LocalCommunicator final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  int local_rank() const override { return 0; }
  int local_size() const override { return 1; }
  void broadcast(torch::Tensor&, int) override {}
  void all_reduce(torch::Tensor&, ReduceOp) override {}
  std::unique_ptr<Work> all_reduce_async(torch::Tensor&, ReduceOp) override;
  void barrier() override {}
  [[noreturn]] void abort(int exit_code) override;
};

}  // namespace gat::dist
