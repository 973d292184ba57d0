// What every tool sets up from its config before it trains or scores: the collectives' timeout,
// compute threads, this rank's device and the communicator that works on it.
#pragma once

#include <torch/torch.h>

#include <memory>

#include "config/config.h"
#include "dist/communicator.h"

namespace gat::train {

class RunSetup {
 public:
  // threads > 0 overrides train.threads. `host` (MPI or one rank) must outlive this.
  RunSetup(dist::Communicator& host, const config::Config& config, int threads = 0);

  // NCCL over `host` where dist.backend picks it, else `host` itself.
  dist::Communicator& comm() { return device_comm_ ? *device_comm_ : host_; }
  const torch::Device& device() const { return device_; }
  int threads() const { return threads_; }

 private:
  dist::Communicator& host_;
  int threads_;
  torch::Device device_;
  std::unique_ptr<dist::Communicator> device_comm_;
};

}  // namespace gat::train
