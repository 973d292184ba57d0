// Picks the transport for dist.backend.
#include "dist/device_communicator.h"

#include "common/error.h"
#if GAT_WITH_NCCL
#include "dist/nccl_communicator.h"
#endif

namespace gat::dist {

std::unique_ptr<Communicator> make_device_communicator(Communicator& host, Backend backend,
                                                       const torch::Device& device) {
  if (backend == Backend::kMpi || (backend == Backend::kAuto && (!GAT_WITH_NCCL || !device.is_cuda()))) return nullptr;
  if (!GAT_WITH_NCCL)
    throw Error("dist.backend: nccl asked for, but this build has no NCCL (build against a CUDA LibTorch)");
  if (!device.is_cuda()) throw Error("dist.backend: nccl needs train.device: cuda (or auto on a machine with a GPU)");
#if GAT_WITH_NCCL
  return make_nccl_communicator(host, device);
#else
  (void)host;
  return nullptr;
#endif
}

}  // namespace gat::dist
