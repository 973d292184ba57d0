// The name tables of config/choice_names.h.
#include "config/choice_names.h"

namespace gat::config {

const ChoiceTables& choice_tables() {
  static const ChoiceTables tables{
      {{AttentionImpl::kFused, "fused"}, {AttentionImpl::kSparse, "sparse"}, {AttentionImpl::kDense, "dense"}},
      {{Normalization::kNone, "none"}, {Normalization::kLayer, "layer"}},
      {{DeviceChoice::kCpu, "cpu"}, {DeviceChoice::kCuda, "cuda"}, {DeviceChoice::kAuto, "auto"}},
      {{Precision::kFp32, "fp32"}, {Precision::kTf32, "tf32"}, {Precision::kBf16, "bf16"}},
      {{OnNonfinite::kStop, "stop"}, {OnNonfinite::kSkip, "skip"}},
      {{ResumeMode::kOff, "off"}, {ResumeMode::kAuto, "auto"}, {ResumeMode::kRequired, "required"}},
      {{Backend::kAuto, "auto"}, {Backend::kMpi, "mpi"}, {Backend::kNccl, "nccl"}},
      {{Shares::kBalanced, "balanced"}, {Shares::kContiguous, "contiguous"}},
      {{LoadMode::kAuto, "auto"}, {LoadMode::kMemory, "memory"}, {LoadMode::kStream, "stream"}},
      {{StoppingRule::kLossAndMetric, "loss_and_metric"}, {StoppingRule::kMetric, "metric"}},
  };
  return tables;
}

}  // namespace gat::config
