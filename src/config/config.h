// Experiment configuration: the YAML keys map one to one onto these structs, and the defaults live here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/choices.h"

namespace gat::config {

// data: which file to train on and how to present its features.
struct DataConfig {
  std::string path;                 // gat-graphs HDF5 file (docs/data_format.md); required
  bool normalize_features = false;  // scale each feature row to sum 1, as the GAT paper does for citation graphs
  bool ignore_edges = false;        // drop every edge: each node sees only itself (the per-node MLP baseline)
  // memory | stream (graph-level data: each rank reads its graphs of a step from the file, a step
  // ahead, keeping at most cache_mb of them) | auto (stream when the file exceeds a quarter of the
  // memory available at start)
  LoadMode load = LoadMode::kAuto;
  double cache_mb = 1024;  // streamed graphs kept per rank
  // 0: each step trains on the whole graph. q > 0 (a partitioned file, gat_data.py partition):
  // each step trains on train.batch_graphs groups of q random clusters, each group the subgraph
  // its clusters induce (Cluster-GCN); evaluation still runs on the whole graph.
  int64_t clusters_per_batch = 0;
};

// model: the GAT stack. Layer l has heads[l] heads of hidden[l] features each, concatenated; the
// output layer has heads.back() heads of num_classes features, averaged.
struct ModelConfig {
  std::vector<int64_t> hidden = {8};          // per-head features of each hidden layer
  std::vector<int64_t> heads = {8, 1};        // heads of each layer: hidden layers, then the output layer
  double input_dropout = 0.6;                 // dropout on each layer's input features
  double projected_dropout = 0.0;             // dropout on each layer's projected features W·h (the messages)
  double dropout = 0.6;                       // dropout on the normalised attention coefficients
  double negative_slope = 0.2;                // LeakyReLU slope in the attention score
  bool residual = false;                      // skip connection around every layer (linear where sizes differ)
  Normalization norm = Normalization::kNone;  // none | layer: LayerNorm on each hidden layer's output
  bool add_self_loops = true;                 // every node attends to itself
  bool bias = true;
  // fused (kernel) | sparse (edge list) | dense (N x N); see ops/attention.h
  AttentionImpl attention = AttentionImpl::kFused;
};

// train: optimisation, early stopping and where results go.
struct TrainConfig {
  int64_t epochs = 1000;       // the most epochs; early stopping usually ends sooner
  double lr = 0.005;           // Adam learning rate
  double weight_decay = 5e-4;  // L2 penalty on every parameter, applied by Adam
  int64_t patience = 100;      // epochs without a reset (early_stopping says what resets it) before stopping
  // loss_and_metric (the paper's code: either resets patience, the kept model is at least as good on
  // both) | metric (the metric alone resets patience and chooses the kept model)
  StoppingRule early_stopping = StoppingRule::kLossAndMetric;
  int64_t seed = 0;          // first seed; seed k of a multi-seed run is seed + k
  int64_t seeds = 1;         // independent runs whose test scores are averaged
  int64_t batch_graphs = 1;  // whole graphs per step, for datasets split by graph
  int64_t threads = 0;       // compute threads; 0 = the cores this process may use
  // cpu | cuda (one GPU per local rank) | auto (cuda when a GPU is visible and the build has CUDA,
  // else cpu)
  DeviceChoice device = DeviceChoice::kCpu;
  // fp32 | tf32 (cuBLAS may use TF32; a GPU only) | bf16 (the dense products in bfloat16 with float32
  // accumulation; on a CPU with AVX-512 BF16 and oneDNN: docs/performance.md "bfloat16 products"; on
  // a GPU with LibTorch 2.8 on, where the fused attention also reads Wh in bfloat16)
  Precision precision = Precision::kFp32;
  // a NaN or Inf loss or gradient: stop (the run fails naming epoch, step and tensor) | skip (drop
  // the step, count it)
  OnNonfinite on_nonfinite = OnNonfinite::kStop;
  std::string run_dir;            // where results go; empty = runs/<config file name without .yaml>
  int64_t checkpoint_every = 10;  // epochs between checkpoints in run_dir (0: only on SIGTERM/SIGUSR1)
  // off | auto (continue from run_dir's checkpoint if there is one) | required (there must be one;
  // gat_train --resume)
  ResumeMode resume = ResumeMode::kOff;
};

// dist: how ranks synchronise gradients (graph-level datasets on several ranks).
struct DistConfig {
  double bucket_mb = 25;    // gradient bucket size in MiB, as PyTorch DDP's default
  bool overlap = true;      // all-reduce full buckets while backward goes on
  double timeout_s = 1800;  // the longest any collective may wait for the other ranks; 0 = forever
  // mpi | nccl (GPU tensors; needs train.device on a GPU) | auto (nccl on a GPU in a build with
  // NCCL, else mpi)
  Backend backend = Backend::kAuto;
  // balanced (by each graph's nodes + edges) | contiguous (blocks of equal count, for comparison)
  Shares shares = Shares::kBalanced;
};

struct Config {
  DataConfig data;
  ModelConfig model;
  TrainConfig train;
  DistConfig dist;
};

// Reads `path` and applies `overrides` ("train.lr=0.01", "model.heads=[8,1]"; values are YAML).
// Throws gat::Error naming the file and the full key for a syntax error, an unknown key, a value of
// the wrong type or out of range, before anything runs.
Config load_config(const std::string& path, const std::vector<std::string>& overrides = {});

// Same, from YAML text; `source` names it in messages.
Config parse_config(const std::string& yaml, const std::string& source, const std::vector<std::string>& overrides = {});

// Every key with its resolved value, as YAML that parse_config reads back to the same Config.
std::string to_yaml(const Config& config);

}  // namespace gat::config
