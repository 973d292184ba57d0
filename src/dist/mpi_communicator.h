// The MPI transport behind Communicator: one process per rank; GPU tensors go through host copies.
#pragma once

#include <memory>

#include "dist/communicator.h"

namespace gat::dist {

// Initialises MPI (unless something else already has) and finalises it only if it did.
// Collectives run on MPI_COMM_WORLD; the local rank comes from the shared-memory split.
class MpiCommunicator final : public Communicator {
 public:
  MpiCommunicator();
  ~MpiCommunicator() override;
  MpiCommunicator(const MpiCommunicator&) = delete;
  MpiCommunicator& operator=(const MpiCommunicator&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int local_rank() const override { return local_rank_; }
  int local_size() const override { return local_size_; }
  void broadcast(torch::Tensor& tensor, int root) override;
  void all_reduce(torch::Tensor& tensor, ReduceOp op) override;
  std::unique_ptr<Work> all_reduce_async(torch::Tensor& tensor, ReduceOp op) override;
  void barrier() override;
  void set_timeout(double seconds) override { timeout_s_ = seconds; }
  bool all_fail_alike(uint64_t fingerprint, double seconds) override;
  [[noreturn]] void abort(int exit_code) override;

 private:
  bool initialized_here_ = false;
  int failures_ = 0;  // all_fail_alike's own communicator, as MPI_Comm_c2f's handle (mpi.h stays in the .cpp)
  int rank_ = 0, size_ = 1, local_rank_ = 0, local_size_ = 1;
  double timeout_s_ = 0;
};

// True when this process was started by an MPI launcher (mpirun, srun with PMI/PMIx).
bool launched_by_mpi();

// MpiCommunicator under an MPI launcher, else LocalCommunicator: one rank needs no mpirun.
std::unique_ptr<Communicator> make_communicator();

}  // namespace gat::dist
