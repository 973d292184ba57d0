// Timeout, threads, device and communicator, in the order they depend on each other, then the precision
// the device is to run.
#include "tools/run_setup.h"

#include "common/device.h"
#include "common/threads.h"
#include "dist/device_communicator.h"
#include "ops/cpu_capability.h"
#include "ops/weight_product.h"

namespace gat::tools {

RunSetup::RunSetup(dist::Communicator& host, const config::Config& config, int threads)
    // The timeout first, so that it bounds the NCCL set-up's collectives too.
    : host_((host.set_timeout(config.dist.timeout_s), host)),
      threads_(threads > 0 ? set_compute_threads(threads, host.local_size(), "--threads")
                           : set_compute_threads(config.train.threads, host.local_size(), "train.threads")),
      cpu_kernels_(ops::cpu_kernels()),
      device_(select_device(config.train.device, host.local_rank())),
      device_comm_(dist::make_device_communicator(host, config.dist.backend, device_)) {
  ops::use_precision(config.train.precision, device_);
}

}  // namespace gat::tools
