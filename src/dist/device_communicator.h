// The communicator training uses on a rank's device: MPI as started, or NCCL over it on GPUs.
#pragma once

#include <torch/torch.h>

#include <memory>

#include "common/choices.h"
#include "dist/communicator.h"

namespace gat::dist {

// dist.backend on `device`: nccl, or auto on a GPU in a build with NCCL, gives NCCL over `host`
// (which must outlive it); otherwise the result is null and training uses `host` itself (MPI, GPU
// tensors through host copies). Throws gat::Error for nccl on the CPU or in a build without NCCL.
std::unique_ptr<Communicator> make_device_communicator(Communicator& host, Backend backend,
                                                       const torch::Device& device);

}  // namespace gat::dist
