// Devices and the communicators that work on them: selection errors and NCCL's collectives on one
// rank. GPU cases are skipped, visibly, without a GPU.
#include <gtest/gtest.h>

#include "common/device.h"
#include "common/error.h"
#include "dist/device_communicator.h"
#include "support/error_of.h"
#include "support/gpu.h"
#include "support/nccl.h"

namespace {

using gat::testing::error_of;
using gat::testing::have_gpu;
using gat::testing::Nccl;

TEST(Device, CpuAlwaysWorksAndAutoFollowsTheMachine) {
  EXPECT_EQ(gat::select_device(gat::DeviceChoice::kCpu, 3), torch::Device(torch::kCPU));
  EXPECT_EQ(gat::select_device(gat::DeviceChoice::kAuto, 0).is_cuda(), have_gpu());
}

TEST(Device, CudaWithoutOneIsAnError) {
  if (have_gpu()) GTEST_SKIP() << "a GPU is present";
  EXPECT_EQ(error_of([] { gat::select_device(gat::DeviceChoice::kCuda, 0); }),
            GAT_WITH_CUDA ? "train.device: cuda asked for, but no CUDA device is visible"
                          : "train.device: cuda asked for, but this build has no CUDA (build against a CUDA LibTorch)");
}

TEST(DeviceCommunicator, BackendFollowsTheDevice) {
  gat::dist::LocalCommunicator host;
  EXPECT_EQ(gat::dist::make_device_communicator(host, gat::Backend::kAuto, torch::kCPU), nullptr);
  EXPECT_EQ(gat::dist::make_device_communicator(host, gat::Backend::kMpi, torch::kCPU), nullptr);
  EXPECT_EQ(error_of([&] { gat::dist::make_device_communicator(host, gat::Backend::kNccl, torch::kCPU); }),
            GAT_WITH_NCCL ? "dist.backend: nccl needs train.device: cuda (or auto on a machine with a GPU)"
                          : "dist.backend: nccl asked for, but this build has no NCCL (build against a CUDA LibTorch)");
}

TEST_F(Nccl, OneRankCollectivesLeaveTensorsAsTheyAre) {
  const torch::Tensor values = torch::tensor({1.5, -2.0, 3.25}, torch::kFloat32);
  torch::Tensor sum = values.to(device_), avg = values.to(device_), async = values.to(device_);
  torch::Tensor bytes = torch::tensor({7, 8}, torch::kUInt8).to(device_);
  torch::Tensor host_side = torch::tensor({4.0}, torch::kFloat64);  // goes to the host communicator
  comm_->all_reduce(sum, gat::dist::ReduceOp::kSum);
  comm_->all_reduce(avg, gat::dist::ReduceOp::kAvg);
  comm_->broadcast(bytes, 0);
  comm_->all_reduce(host_side, gat::dist::ReduceOp::kSum);
  auto work = comm_->all_reduce_async(async, gat::dist::ReduceOp::kSum);
  work->wait();  // the current stream now waits for the all-reduce, so what follows reads its result
  async.mul_(2);
  EXPECT_TRUE(torch::equal(sum.cpu(), values));
  EXPECT_TRUE(torch::equal(avg.cpu(), values));
  EXPECT_TRUE(torch::equal(async.cpu(), 2 * values));
  EXPECT_TRUE(torch::equal(bytes.cpu(), torch::tensor({7, 8}, torch::kUInt8)));
  EXPECT_EQ(host_side.item<double>(), 4.0);
}

}  // namespace
