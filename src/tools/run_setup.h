// What every tool sets up from its config before it trains or scores: the collectives' timeout,
// compute threads and the CPU kernels they run, this rank's device, the communicator that works on
// it, and train.precision checked against the device (ops::use_precision).
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>

#include "config/config.h"
#include "dist/communicator.h"

namespace gat::tools {

class RunSetup {
 public:
  // threads > 0 overrides train.threads. `host` (MPI or one rank) must outlive this.
  RunSetup(dist::Communicator& host, const config::Config& config, int threads = 0);

  // NCCL over `host` where dist.backend picks it, else `host` itself.
  dist::Communicator& comm() { return device_comm_ ? *device_comm_ : host_; }
  const torch::Device& device() const { return device_; }
  int threads() const { return threads_; }
  // ops::cpu_kernels(), asked for here so that a bad GAT_CPU_CAPABILITY stops a tool before it
  // writes anything.
  const std::string& cpu_kernels() const { return cpu_kernels_; }

 private:
  dist::Communicator& host_;
  int threads_;
  std::string cpu_kernels_;
  torch::Device device_;
  std::unique_ptr<dist::Communicator> device_comm_;
};

}  // namespace gat::tools
