// Test helpers for the GPU cases, which skip, visibly, where there is no GPU or no NCCL.
#pragma once

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <memory>

#include "dist/communicator.h"
#include "dist/device_communicator.h"
#include "support/gpu.h"

namespace gat::testing {

// NCCL on GPU 0 over a one-rank local communicator.
class Nccl : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!GAT_WITH_NCCL || !have_gpu()) GTEST_SKIP() << "no GPU, or a build without NCCL";
    comm_ = dist::make_device_communicator(host_, Backend::kNccl, device_);
    ASSERT_NE(comm_, nullptr);
  }
  dist::LocalCommunicator host_;
  torch::Device device_{torch::kCUDA, 0};
  std::unique_ptr<dist::Communicator> comm_;
};

}  // namespace gat::testing
