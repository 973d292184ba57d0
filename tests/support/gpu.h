// Whether the GPU cases can run: a CUDA build on a machine where LibTorch sees a GPU. Elsewhere
// they skip, visibly, with one message.
#pragma once

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace gat::testing {

inline bool have_gpu() { return GAT_WITH_CUDA && torch::cuda::is_available(); }

// Whether a case on `device` cannot run here.
inline bool missing(torch::DeviceType device) { return device == torch::kCUDA && !have_gpu(); }

}  // namespace gat::testing

// Ends the running test as skipped where `device` is missing (GTEST_SKIP returns from the test body,
// so this is a macro).
#define GAT_SKIP_WITHOUT(device) \
  if (gat::testing::missing(device)) GTEST_SKIP() << "no CUDA device"
