// The config's choices among fixed alternatives, as types every layer may take. Their names, the
// YAML spellings, are config's alone (config/choice_names.h): below it nothing reads or compares one.
#pragma once

namespace gat {

// model.attention: how a GAT layer computes attention (ops/attention.h says what each form does).
enum class AttentionImpl { kFused, kSparse, kDense };

// model.norm: what normalises each hidden layer's output before its ELU: nothing, as in the paper,
// or a LayerNorm over the node's concatenated heads, as Cluster-GCN's deep PPI model has.
enum class Normalization { kNone, kLayer };

// train.device: the CPU, a GPU (one per local rank), or a GPU where the build and machine have one.
enum class DeviceChoice { kCpu, kCuda, kAuto };

// train.precision: what the dense products (an input times a layer's weights, forward and
// backward) round their operands to: nothing (float32), TF32 in cuBLAS (a GPU), or bfloat16 with
// float32 accumulation, results and master weights (ops/weight_product.h).
enum class Precision { kFp32, kTf32, kBf16 };

// train.on_nonfinite: what a NaN or Inf loss or gradient does: stop the run, or skip the step.
enum class OnNonfinite { kStop, kSkip };

// train.resume: start afresh, continue from the run directory's checkpoint if there is one, or
// continue from it and fail without one (gat_train --resume).
enum class ResumeMode { kOff, kAuto, kRequired };

// dist.backend: MPI, NCCL (GPU tensors), or NCCL on a GPU in a build with NCCL and MPI otherwise.
enum class Backend { kAuto, kMpi, kNccl };

// data.load: read the whole file into memory, read each rank's graphs from it as they are used
// (graph by graph, in bounded memory), or stream when the file is large for this machine.
enum class LoadMode { kAuto, kMemory, kStream };

// dist.shares: how a graph-level step's graphs go to ranks: balanced by size, or contiguous blocks
// of equal count (data/graph_shares.h).
enum class Shares { kBalanced, kContiguous };

// train.early_stopping: which validation figures reset patience and choose the kept model: loss
// and metric together, as the paper's public code does, or the metric alone, as its author used for
// Citeseer (train/early_stopping.h).
enum class StoppingRule { kLossAndMetric, kMetric };

}  // namespace gat
