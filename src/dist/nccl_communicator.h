// The NCCL transport behind Communicator (built only with GAT_WITH_NCCL).
#pragma once

#include <torch/torch.h>

#include <memory>

#include "dist/communicator.h"

namespace gat::dist {

// NCCL among the ranks of `host` (which must outlive it), one GPU per rank: `device`. Rank 0's
// NCCL unique id reaches the others through `host.broadcast`. Collectives on CUDA tensors run on
// a dedicated stream after the work already queued on the current stream, and the current stream
// waits for their result (for all_reduce_async, from Work::wait()), so the host never blocks on
// the GPU and communication overlaps backward. CPU tensors, barriers and timeouts go to `host`.
// A failed NCCL call aborts the NCCL communicator, so no rank is left inside a collective, and
// throws naming the call.
std::unique_ptr<Communicator> make_nccl_communicator(Communicator& host, const torch::Device& device);

}  // namespace gat::dist
