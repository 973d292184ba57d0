// Refusing a model that cannot fit in memory before it is built: `model.heads: [1000000, 1]` or a
// file's num_classes of 10^9 would otherwise end in an allocation failure naming nothing.
#pragma once

#include "config/config.h"
#include "data/graph_dataset.h"

namespace gat::train {

// What a tool does with the model: training also holds a gradient and Adam's two moments per weight.
enum class ModelUse { kTraining, kInference };

// Throws a gat::Error naming the key (model.heads[l], model.hidden[l]) or the file's num_classes
// attribute when a lower bound of the memory the GAT of `model` needs on `dataset` exceeds
// available_memory_bytes(). The bound counts float32 weights (times 4 for training), each
// layer's projection over the nodes of the largest forward pass (every node for node-level
// splits, else the largest graph) and the one or two more tensors of the widest layer's size that
// computing its output (and, in training, its gradient) takes: what it refuses can never fit,
// and what nearly fits may still fail.
void check_model_fits_memory(const config::ModelConfig& model, const data::GraphDataset& dataset, ModelUse use);

}  // namespace gat::train
