// Trains a GAT on a dataset for one seed: steps, evaluation, early stopping, the best model kept.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "config/config.h"
#include "data/batch_source.h"
#include "data/graph_dataset.h"
#include "dist/communicator.h"
#include "dist/gradient_reducer.h"
#include "model/gat.h"
#include "train/early_stopping.h"
#include "train/metrics.h"
#include "train/progress.h"
#include "train/seed_result.h"

namespace gat::train {

// One line of metrics.jsonl.
struct EpochRecord {
  int64_t seed = 0;
  int64_t epoch = 0;  // 1-based
  double train_loss = 0;
  double val_loss = 0;
  double val = 0;  // the task's metric on the validation split
  double seconds = 0;
};

// Where one training step's time went, in seconds.
struct StepTimes {
  double data = 0;       // the batch source: this rank's graphs cut out, their plans joined
  double forward = 0;    // the model's forward pass and the loss
  double backward = 0;   // backward (with overlap, includes starting the buckets' all-reduces)
  double reduce = 0;     // waiting for the gradient all-reduce after backward
  double optimizer = 0;  // the Adam update
};

// What one optimizer step did.
struct StepResult {
  double loss_sum = 0;    // the global batch's summed loss, over all ranks
  int64_t nodes = 0;      // the global batch's scored nodes, the loss's denominator
  std::string nonfinite;  // empty, or what was NaN or Inf ("the loss", "the gradient of NAME"); the
                          // parameters were then left as they were
  bool stop = false;      // SIGTERM or SIGUSR1 reached some rank by the end of this step
  int64_t graphs = 0;     // the global batch's graphs...
  int64_t edges = 0;      // ...and their stored edges
};

class Trainer;

// Where one seed's training stands between two steps. With the model and Adam's state it is all
// that fit() needs to go on as if it had never stopped, on any number of ranks.
struct FitState {
  int64_t epoch = 1;           // the epoch in progress, 1-based
  int64_t steps_done = 0;      // its steps already taken
  std::vector<int64_t> order;  // graph-level: the training graphs before this epoch's shuffle
  std::string shuffle_rng;     // the shuffle generator before this epoch's shuffle (its text form)
  double loss_sum = 0;         // over this epoch's steps so far
  double loss_nodes = 0;
  EarlyStopping::State stopping;
  SeedResult result;                // so far: the kept epoch's scores, epochs run, skipped steps, seconds
  std::vector<torch::Tensor> kept;  // the kept epoch's parameters
};

// How fit() checkpoints. save(state) is called on every rank at a step boundary: after every
// `every` epochs, and after the step at which a stop signal had reached any rank; that step then
// ends the run with gat::Preempted.
struct Checkpointing {
  int64_t every = 0;                          // epochs; 0: only for a stop signal
  std::function<void(const FitState&)> save;  // null: no checkpoints (a stop signal still stops)
};

// A checkpoint to continue from: its state, and what loads the model and Adam's state into the
// trainer once fit() has built them.
struct ResumePoint {
  FitState state;
  std::function<void(Trainer&)> restore;
};

// Node-level splits train on every graph at once and score the split's nodes; graph-level splits
// train on batches of train.batch_graphs whole graphs, shuffled each epoch. With graph-level splits
// on several ranks, each global batch is divided among the ranks and the loss is the mean over all
// of its nodes. Node-level training is whole on every rank: it uses `comm` only to start from rank
// 0's parameters, so give it a LocalCommunicator where ranks train different seeds. A step reads:
// the batch source's batch, the model, the loss, the gradient reducer, the optimizer.
class Trainer {
 public:
  // The model, its optimizer state and each step's batch live on `device` (common/device.h); the
  // dataset stays on the CPU.
  Trainer(const config::Config& config, const data::GraphDataset& dataset, dist::Communicator& comm,
          const torch::Device& device = torch::kCPU);

  // A fresh model and optimizer seeded with `seed`, which also keys dropout's masks.
  void reset(int64_t seed);

  // Trains until early stopping or train.epochs, calling on_epoch after each epoch; leaves the
  // kept (best) parameters in model(). With `resume`, goes on from its state instead of starting.
  SeedResult fit(int64_t seed, const std::function<void(const EpochRecord&)>& on_epoch,
                 const Checkpointing& checkpointing = {}, const ResumePoint* resume = nullptr);

  // Called after every step of fit() with where the epoch stands (for train/progress.h).
  void set_step_observer(std::function<void(const StepProgress&)> observer) { on_step_ = std::move(observer); }

  // One optimizer step in epoch `epoch` on the global batch of graphs `graphs` (graph-level) or on
  // the train nodes (node-level: `graphs` is ignored). Dropout is keyed by (seed, epoch, graph), so
  // the step is the same for any split of `graphs` over the ranks. The loss and the all-reduced
  // gradients are checked first; every rank sees the same ones, so every rank takes or drops the
  // step alike.
  StepResult train_step(const std::vector<int64_t>& graphs, int64_t epoch, StepTimes* times = nullptr);

  model::GAT& model() { return model_; }
  torch::optim::Adam& optimizer() { return *optimizer_; }
  data::BatchSource& batches() { return batches_; }
  dist::Communicator& comm() { return comm_; }
  const torch::Device& device() const { return device_; }

  // The first parameter, in named_parameters() order (layer by layer), whose gradient has a NaN or
  // Inf, as "the gradient of NAME"; empty when there is none.
  std::string nonfinite_gradient();
  // What each epoch shuffles and cuts into steps: the train graphs, the clusters of a clustered
  // run, or nothing (node-level: one step on the whole graph).
  std::vector<int64_t> epoch_units() const;
  // How many of those one step takes: batch_graphs graphs, or batch_graphs groups of
  // clusters_per_batch clusters.
  int64_t units_per_step() const;
  // What nonfinite_gradient() says, in two halves: per parameter, its gradient's sum in float64
  // (0 for none), left on the device, and the name of the first sum that is NaN or Inf. A sum is
  // finite exactly when every element is: NaN and Inf carry through any sum, and the model's
  // float32 values cannot overflow a float64 sum (3.4e38 times any element count stays far below
  // 1.8e308). One reduction a parameter, where isfinite() and all() cost a GPU five launches.
  torch::Tensor gradient_sums();
  std::string first_nonfinite(const torch::Tensor& gradient_sums);

 private:
  const config::Config& config_;
  const data::GraphDataset& dataset_;
  dist::Communicator& comm_;
  torch::Device device_;
  data::BatchSource batches_;
  model::GAT model_{nullptr};
  int64_t seed_ = 0;  // of the model reset() made
  std::unique_ptr<torch::optim::Adam> optimizer_;
  std::unique_ptr<dist::GradientReducer> reducer_;  // with several ranks
  std::function<void(const StepProgress&)> on_step_;
};

}  // namespace gat::train
