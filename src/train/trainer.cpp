// The training loop.
#include "train/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <random>
#include <sstream>

#include "common/device.h"
#include "common/error.h"
#include "common/log.h"
#include "common/stop_signals.h"
#include "data/graph_ids.h"
#include "dist/consistency.h"
#include "train/adam_step.h"
#include "train/evaluation.h"
#include "train/options_from_config.h"

namespace gat::train {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string text_of(const std::mt19937_64& rng) {
  std::ostringstream text;
  text << rng;
  return text.str();
}

}  // namespace

std::vector<int64_t> Trainer::epoch_units() const {
  if (batches_.clustered()) {
    std::vector<int64_t> clusters(dataset_.partition->num_clusters());
    std::iota(clusters.begin(), clusters.end(), 0);
    return clusters;
  }
  return batches_.node_level() ? std::vector<int64_t>{} : data::graph_ids(dataset_.train);
}

int64_t Trainer::units_per_step() const {
  return config_.train.batch_graphs * std::max<int64_t>(1, config_.data.clusters_per_batch);
}

Trainer::Trainer(const config::Config& config, const data::GraphDataset& dataset, dist::Communicator& comm,
                 const torch::Device& device)
    : config_(config),
      dataset_(dataset),
      comm_(comm),
      device_(device),
      batches_(dataset, batch_source_options(config, comm), device) {}

void Trainer::reset(int64_t seed) {
  seed_ = seed;
  torch::manual_seed(static_cast<uint64_t>(seed));
  // Initialised on the CPU, so that a seed gives the same starting parameters on every device.
  model_ = model::GAT(
      gat_options_from_config(config_.model, config_.train.precision, dataset_.num_features(), dataset_.num_classes));
  model_->to(device_);
  // Every rank starts from rank 0's parameters, whatever its own initialisation produced.
  for (auto& p : model_->parameters()) {
    torch::NoGradGuard no_grad;
    torch::Tensor flat = p.data().view(-1);
    comm_.broadcast(flat, 0);
  }
  reducer_.reset();
  if (comm_.size() > 1)
    reducer_ = std::make_unique<dist::GradientReducer>(
        model_->parameters(), comm_, static_cast<int64_t>(config_.dist.bucket_mb * (1 << 20)), config_.dist.overlap);
  optimizer_ = std::make_unique<torch::optim::Adam>(
      model_->parameters(), torch::optim::AdamOptions(config_.train.lr).weight_decay(config_.train.weight_decay));
}

torch::Tensor Trainer::gradient_sums() {
  std::vector<torch::Tensor> sums;
  for (const auto& p : model_->named_parameters())
    sums.push_back(p.value().grad().defined()
                       ? p.value().grad().sum(torch::kFloat64)
                       : torch::zeros({}, torch::TensorOptions(torch::kFloat64).device(device_)));
  return torch::stack(sums);
}

std::string Trainer::first_nonfinite(const torch::Tensor& gradient_sums) {
  const torch::Tensor host = gradient_sums.to(torch::kCPU, torch::kFloat64).contiguous();
  const auto named = model_->named_parameters();
  const auto sums = host.accessor<double, 1>();
  for (int64_t i = 0; i < host.size(0); ++i)
    if (!std::isfinite(sums[i])) return "the gradient of " + named[i].key();
  return "";
}

std::string Trainer::nonfinite_gradient() { return first_nonfinite(gradient_sums()); }

StepResult Trainer::train_step(const std::vector<int64_t>& graphs, int64_t epoch, StepTimes* times) {
  StepTimes local;
  StepTimes& t = times ? *times : local;
  auto clock = std::chrono::steady_clock::now();
  auto lap = [&clock](double& into) {
    const auto now = std::chrono::steady_clock::now();
    into += std::chrono::duration<double>(now - clock).count();
    clock = now;
  };
  model_->train();
  optimizer_->zero_grad();
  if (reducer_) reducer_->prepare();
  // A bad graph that a streamed dataset finds on this rank's share stops every rank at this step
  // (below, after the collectives every rank takes part in): this rank goes on without a batch.
  std::string bad_data;
  data::StepBatch step;
  try {
    step = batches_.step(graphs);
  } catch (const Error& e) {
    bad_data = e.what();
  }
  lap(t.data);
  torch::Tensor sum;  // of this rank's scored nodes' losses; 0 on a rank without graphs this step
  if (step.mine) {
    const data::Batch& batch = *step.mine;
    const DropoutKey key{static_cast<uint64_t>(seed_), epoch, 0, batch.graphs};
    const torch::Tensor logits = model_->forward_planned(batch.x, batch.plan, &key);
    sum = node_losses(dataset_.task, batch.scored_rows(logits), batch.labels).sum();
    lap(t.forward);
    // The loss is the mean over every node of the global batch, so each rank divides its sum by
    // the global count: the all-reduced gradient is then the same for any number of ranks.
    (sum / static_cast<double>(std::max<int64_t>(step.nodes, 1))).backward();
  } else {
    sum = torch::zeros({}, torch::TensorOptions(torch::kFloat32).device(device_));
  }
  // One read from the device a step, once the gradients are final: this rank's loss sum and the
  // sum of each parameter's gradient, which tell whether it is finite. On a GPU it is the step's
  // only wait for the device.
  auto read_back = [&] { return torch::cat({sum.to(torch::kFloat64).view({1}), gradient_sums()}).cpu(); };
  torch::Tensor read;
  if (!reducer_) read = read_back();
  lap(t.backward);
  if (reducer_) {
    reducer_->finish();
    read = read_back();
  }
  // The loss, whether a stop signal reached this rank and whether its batch was bad travel
  // together, so that every rank learns of either at the same step.
  torch::Tensor global =
      torch::tensor({read[0].item<double>(), stop_signal() ? 1.0 : 0.0, bad_data.empty() ? 0.0 : 1.0}, torch::kFloat64);
  comm_.all_reduce(global, dist::ReduceOp::kSum);
  if (global[2].item<double>() > 0) dist::throw_first_failure(comm_, bad_data);
  lap(t.reduce);
  StepResult result{global[0].item<double>(), step.nodes, "", global[1].item<double>() > 0, step.graphs, step.edges};
  result.nonfinite = std::isfinite(result.loss_sum) ? first_nonfinite(read.narrow(0, 1, read.size(0) - 1)) : "the loss";
  if (result.nonfinite.empty()) adam_step(*optimizer_);
  lap(t.optimizer);
  return result;
}

SeedResult Trainer::fit(int64_t seed, const std::function<void(const EpochRecord&)>& on_epoch,
                        const Checkpointing& checkpointing, const ResumePoint* resume) {
  const auto start = std::chrono::steady_clock::now();
  reset(seed);
  const auto params = model_->parameters();
  std::mt19937_64 shuffle_rng(static_cast<uint64_t>(seed));  // the same on every rank
  FitState st;
  if (resume) {
    resume->restore(*this);
    st = resume->state;
    std::istringstream(st.shuffle_rng) >> shuffle_rng;  // as it was before the epoch in progress
  } else {
    st.order = epoch_units();
    st.result.seed = seed;
    for (const auto& p : params) st.kept.push_back(p.detach().clone());
  }
  const double seconds_before = st.result.seconds;  // spent before a resume
  EarlyStopping stopping(config_.train.patience, config_.train.early_stopping);
  stopping.restore(st.stopping);
  auto checkpoint = [&] {
    st.stopping = stopping.state();
    st.result.seconds = seconds_before + seconds_since(start);
    checkpointing.save(st);
  };

  for (; st.epoch <= config_.train.epochs; ++st.epoch) {
    const int64_t epoch = st.epoch;
    const auto epoch_start = std::chrono::steady_clock::now();
    if (st.steps_done == 0) {  // else resuming mid-epoch, with this epoch's generator and order
      st.shuffle_rng = text_of(shuffle_rng);
      st.loss_sum = st.loss_nodes = 0;
    }
    std::vector<int64_t> order = st.order;
    std::shuffle(order.begin(), order.end(), shuffle_rng);
    const int64_t batch = units_per_step();
    const int64_t steps =
        batches_.node_level() && !batches_.clustered() ? 1 : (static_cast<int64_t>(order.size()) + batch - 1) / batch;
    StepProgress progress{seed, epoch, 0, steps};
    for (int64_t index = st.steps_done; index < steps; ++index) {
      const auto first = order.begin() + std::min<int64_t>(order.size(), index * batch);
      const auto last = order.begin() + std::min<int64_t>(order.size(), (index + 1) * batch);
      // A streamed dataset reads the next step's graphs while this one computes.
      if (index + 1 < steps)
        batches_.prefetch(
            std::vector<int64_t>(last, order.begin() + std::min<int64_t>(order.size(), (index + 2) * batch)));
      const StepResult r = train_step(std::vector<int64_t>(first, last), epoch);
      ++st.steps_done;
      if (r.nonfinite.empty()) {
        st.loss_sum += r.loss_sum;
        st.loss_nodes += static_cast<double>(r.nodes);
      } else {
        const std::string where =
            fmt::format("seed {} epoch {} step {}: {} is NaN or Inf", seed, epoch, index + 1, r.nonfinite);
        if (config_.train.on_nonfinite == OnNonfinite::kStop)
          throw Diverged(where + " (train.on_nonfinite: skip would drop the step)");
        ++st.result.skipped_steps;
        log::warn("{}; step skipped", where);
      }
      if (on_step_) {
        progress.step = index + 1;
        progress.loss = st.loss_nodes > 0 ? st.loss_sum / st.loss_nodes : std::nan("");
        progress.seconds = seconds_since(epoch_start);
        ++progress.steps_timed;
        progress.graphs += r.graphs;
        progress.edges += r.edges;
        on_step_(progress);
      }
      if (r.stop) {
        if (checkpointing.save) checkpoint();
        throw Preempted(
            fmt::format("a stop signal (SIGTERM or SIGUSR1) after seed {} epoch {} step {}; {}", seed, epoch, index + 1,
                        checkpointing.save ? "checkpoint written, --resume continues from it" : "no checkpoint"));
      }
    }

    SplitScorer score(model_, batches_, comm_);
    const EvalSums val = score(dataset_.val);
    EpochRecord record{seed,
                       epoch,
                       st.loss_nodes > 0 ? st.loss_sum / st.loss_nodes : std::nan(""),
                       val.mean_loss(),
                       val.metric(dataset_.task),
                       seconds_since(epoch_start)};
    st.result.epochs = epoch;
    const auto verdict = stopping.update(record.val_loss, record.val);
    if (verdict == EarlyStopping::Verdict::kKeep) {
      torch::NoGradGuard no_grad;
      for (std::size_t i = 0; i < params.size(); ++i) st.kept[i].copy_(params[i]);
      st.result.val = record.val;
      st.result.val_loss = record.val_loss;
      st.result.best_epoch = epoch;
      st.result.test = score(dataset_.test).metric(dataset_.task);
    }
    on_epoch(record);
    if (verdict == EarlyStopping::Verdict::kStop) break;
    st.order = order;  // the next epoch shuffles this epoch's order further
    st.steps_done = 0;
    if (checkpointing.save && checkpointing.every > 0 && epoch % checkpointing.every == 0 &&
        epoch < config_.train.epochs) {
      ++st.epoch;  // the checkpoint stands at the start of the next epoch
      st.shuffle_rng = text_of(shuffle_rng);
      checkpoint();
      --st.epoch;
    }
  }
  torch::NoGradGuard no_grad;
  for (std::size_t i = 0; i < params.size(); ++i) params[i].copy_(st.kept[i]);
  st.result.seconds = seconds_before + seconds_since(start);
  return st.result;
}

}  // namespace gat::train
