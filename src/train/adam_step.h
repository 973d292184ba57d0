// One step of the trainer's Adam.
#pragma once

#include <torch/torch.h>

namespace gat::train {

// Updates every parameter of `optimizer` (one parameter group, as the trainer makes) as
// optimizer.step() does. On CUDA with LibTorch 2 it runs ATen's fused multi-tensor Adam (the kernel
// behind torch.optim.Adam(fused=True)): one launch instead of about ten per parameter, which on a
// GPU left the device idle for a millisecond a step. It keeps its moments in the optimizer's own
// state, so checkpoints are the same either way. Elsewhere it is optimizer.step().
void adam_step(torch::optim::Adam& optimizer);

}  // namespace gat::train
