// The training loop.
#include "train/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>
#include <sstream>

#include "common/device.h"
#include "common/error.h"
#include "common/log.h"
#include "common/stop_signals.h"
#include "train/adam_step.h"
#include "train/model_options.h"

namespace gat::train {
namespace {

// Features sparser than this go to the model as a sparse matrix (Cora's are 1.3% non-zero).
constexpr double kSparseFeaturesBelow = 0.1;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string text_of(const std::mt19937_64& rng) {
  std::ostringstream text;
  text << rng;
  return text.str();
}

}  // namespace

std::vector<int64_t> graph_ids(const data::Split& split) {
  const torch::Tensor ids = split.ids.contiguous();
  return std::vector<int64_t>(ids.data_ptr<int64_t>(), ids.data_ptr<int64_t>() + ids.numel());
}

Trainer::Trainer(const config::Config& config, const data::GraphDataset& dataset, dist::Communicator& comm,
                 const torch::Device& device)
    : config_(config), dataset_(dataset), comm_(comm), device_(device) {
  features_ = data::model_features(dataset, config.data.normalize_features);
  if (node_level()) {
    nodes_batch_ = data::to_device(data::node_batch(dataset, features_, dataset.train.ids, kSparseFeaturesBelow), device_);
    nodes_plan_ = ops::plan_on(nodes_batch_.x, dataset.edge_index, config.model.add_self_loops);
  } else {
    graph_plans_.resize(dataset.num_graphs());
    // The graphs' features and labels go to the device once, so that each batch is cut there: on a
    // GPU, cutting it on the host and copying it over left the device idle 0.4 ms a step.
    features_ = features_.to(device_);
    labels_ = dataset.labels.to(device_);
  }
}

ops::EdgePlan Trainer::plan_of(const std::vector<int64_t>& graphs) {
  const auto node_ptr = dataset_.graph_ptr.accessor<int64_t, 1>();
  std::vector<const ops::EdgePlan*> plans;
  for (int64_t g : graphs) {
    std::optional<ops::EdgePlan>& plan = graph_plans_[g];
    if (!plan)
      plan = ops::to_device(ops::make_edge_plan(data::graph_edges(dataset_, g), node_ptr[g + 1] - node_ptr[g],
                                                config_.model.add_self_loops),
                            device_);
    plans.push_back(&*plan);
  }
  return ops::join_plans(plans);
}

void Trainer::reset(int64_t seed) {
  torch::manual_seed(static_cast<uint64_t>(seed));
  // Initialised on the CPU, so that a seed gives the same starting parameters on every device.
  model_ = model::GAT(gat_options_from_config(config_.model, dataset_.num_features(), dataset_.num_classes));
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

int64_t Trainer::nodes_in(const std::vector<int64_t>& graphs) const {
  const auto ptr = dataset_.graph_ptr.accessor<int64_t, 1>();
  int64_t n = 0;
  for (int64_t g : graphs) n += ptr[g + 1] - ptr[g];
  return n;
}

int64_t Trainer::edges_in(const std::vector<int64_t>& graphs) const {
  const auto ptr = dataset_.edge_ptr.accessor<int64_t, 1>();
  int64_t e = 0;
  for (int64_t g : graphs) e += ptr[g + 1] - ptr[g];
  return e;
}

std::vector<int64_t> Trainer::rank_share(const std::vector<int64_t>& graphs) const {
  const std::size_t n = graphs.size(), p = comm_.size(), r = comm_.rank();
  return std::vector<int64_t>(graphs.begin() + n * r / p, graphs.begin() + n * (r + 1) / p);
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

StepResult Trainer::train_step(const std::vector<int64_t>& graphs, StepTimes* times) {
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
  torch::Tensor losses;  // of this rank's scored nodes; undefined when it holds no graphs
  int64_t global_nodes = 0;
  if (node_level()) {
    const torch::Tensor logits = model_->forward_planned(nodes_batch_.x, nodes_plan_);
    losses = node_losses(dataset_.task, logits.index_select(0, nodes_batch_.scored), nodes_batch_.labels);
    global_nodes = losses.size(0);
  } else {
    // The loss is the mean over every node of the global batch, so each rank divides its sum by
    // the global count: the all-reduced gradient is then the same for any number of ranks.
    global_nodes = nodes_in(graphs);
    const std::vector<int64_t> mine = rank_share(graphs);
    if (!mine.empty()) {
      const data::Batch batch = data::graph_batch(dataset_, features_, labels_, mine);
      lap(t.data);
      losses = node_losses(dataset_.task, model_->forward_planned(batch.x, plan_of(mine)), batch.labels);
    }
  }
  // A rank without graphs this step adds a loss of 0.
  const torch::Tensor sum =
      losses.defined() ? losses.sum() : torch::zeros({}, torch::TensorOptions(torch::kFloat32).device(device_));
  if (losses.defined()) {
    lap(t.forward);
    (sum / static_cast<double>(std::max<int64_t>(global_nodes, 1))).backward();
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
  // The loss and whether a stop signal reached this rank travel together, so that every rank
  // learns of a signal at the same step.
  torch::Tensor global = torch::tensor({read[0].item<double>(), stop_signal() ? 1.0 : 0.0}, torch::kFloat64);
  comm_.all_reduce(global, dist::ReduceOp::kSum);
  lap(t.reduce);
  StepResult result{global[0].item<double>(), global_nodes, "", global[1].item<double>() > 0};
  if (node_level()) {
    result.graphs = dataset_.num_graphs();
    result.edges = dataset_.num_edges();
  } else {
    result.graphs = static_cast<int64_t>(graphs.size());
    result.edges = edges_in(graphs);
  }
  result.nonfinite = std::isfinite(result.loss_sum) ? first_nonfinite(read.narrow(0, 1, read.size(0) - 1)) : "the loss";
  if (result.nonfinite.empty()) adam_step(*optimizer_);
  lap(t.optimizer);
  return result;
}

EvalSums Trainer::evaluate_split(const data::Split& split) {
  torch::NoGradGuard no_grad;
  model_->eval();
  EvalSums sums;
  if (split.level == data::SplitLevel::kNode) {
    const torch::Tensor logits = model_->forward_planned(nodes_batch_.x, nodes_plan_);
    const torch::Tensor ids = split.ids.to(device_);
    return evaluate(dataset_.task, logits.index_select(0, ids), dataset_.labels.index_select(0, split.ids).to(device_));
  }
  {
    const std::vector<int64_t> mine = rank_share(graph_ids(split));
    for (std::size_t i = 0; i < mine.size(); i += config_.train.batch_graphs) {
      const std::vector<int64_t> chunk(mine.begin() + i,
                                       mine.begin() + std::min(mine.size(), i + config_.train.batch_graphs));
      const data::Batch batch = data::graph_batch(dataset_, features_, labels_, chunk);
      sums += evaluate(dataset_.task, model_->forward_planned(batch.x, plan_of(chunk)), batch.labels);
    }
  }
  torch::Tensor t = sums.to_tensor();
  comm_.all_reduce(t, dist::ReduceOp::kSum);
  return EvalSums::from_tensor(t);
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
    st.order = node_level() ? std::vector<int64_t>{} : graph_ids(dataset_.train);
    st.result.seed = seed;
    for (const auto& p : params) st.kept.push_back(p.detach().clone());
  }
  const double seconds_before = st.result.seconds;  // spent before a resume
  EarlyStopping stopping(config_.train.patience);
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
    const int64_t batch = config_.train.batch_graphs;
    const int64_t steps = node_level() ? 1 : (static_cast<int64_t>(order.size()) + batch - 1) / batch;
    StepProgress progress{seed, epoch, 0, steps};
    for (int64_t index = st.steps_done; index < steps; ++index) {
      const auto first = order.begin() + std::min<int64_t>(order.size(), index * batch);
      const auto last = order.begin() + std::min<int64_t>(order.size(), (index + 1) * batch);
      const StepResult r = train_step(std::vector<int64_t>(first, last));
      ++st.steps_done;
      if (r.nonfinite.empty()) {
        st.loss_sum += r.loss_sum;
        st.loss_nodes += static_cast<double>(r.nodes);
      } else {
        const std::string where =
            fmt::format("seed {} epoch {} step {}: {} is NaN or Inf", seed, epoch, index + 1, r.nonfinite);
        if (config_.train.on_nonfinite == OnNonfinite::kStop) throw Diverged(where + " (train.on_nonfinite: skip would drop the step)");
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
        throw Preempted(fmt::format("a stop signal (SIGTERM or SIGUSR1) after seed {} epoch {} step {}; {}", seed,
                                    epoch, index + 1,
                                    checkpointing.save ? "checkpoint written, --resume continues from it"
                                                       : "no checkpoint"));
      }
    }

    const EvalSums val = evaluate_split(dataset_.val);
    EpochRecord record{seed, epoch, st.loss_nodes > 0 ? st.loss_sum / st.loss_nodes : std::nan(""), val.mean_loss(),
                       val.metric(dataset_.task), seconds_since(epoch_start)};
    st.result.epochs = epoch;
    const auto verdict = stopping.update(record.val_loss, record.val);
    if (verdict == EarlyStopping::Verdict::kKeep) {
      torch::NoGradGuard no_grad;
      for (std::size_t i = 0; i < params.size(); ++i) st.kept[i].copy_(params[i]);
      st.result.val = record.val;
      st.result.val_loss = record.val_loss;
      st.result.best_epoch = epoch;
      st.result.test = evaluate_split(dataset_.test).metric(dataset_.task);
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

void Trainer::save_training_state(torch::serialize::OutputArchive& archive) {
  torch::serialize::OutputArchive model, optimizer;
  model_->save(model);
  optimizer_->save(optimizer);
  archive.write("model", model);
  archive.write("optimizer", optimizer);
  // Ranks draw different dropout masks, so their generators differ: every rank's goes in, as one
  // row each of a table that the ranks fill by summing (each row is non-zero on its rank only).
  auto gathered = [&](const torch::Device& device) {
    const torch::Tensor mine = generator_state(device);
    torch::Tensor table = torch::zeros({comm_.size(), mine.numel()}, torch::kUInt8);
    table[comm_.rank()] = mine;
    comm_.all_reduce(table, dist::ReduceOp::kSum);
    return table;
  };
  archive.write("generator_cpu", gathered(torch::kCPU));
  if (device_.is_cuda()) archive.write("generator_device", gathered(device_));
}

void Trainer::restore_training_state(torch::serialize::InputArchive& archive) {
  torch::serialize::InputArchive model, optimizer;
  archive.read("model", model);
  archive.read("optimizer", optimizer);
  model_->load(model);
  optimizer_->load(optimizer);
  auto restore = [&](const char* key, const torch::Device& device) {
    torch::Tensor table;
    archive.read(key, table);
    if (table.size(0) != comm_.size())
      throw Error(fmt::format("checkpoint: written by {} ranks, this run has {}", table.size(0), comm_.size()));
    set_generator_state(device, table[comm_.rank()].contiguous());
  };
  restore("generator_cpu", torch::kCPU);
  if (device_.is_cuda()) restore("generator_device", device_);
}

}  // namespace gat::train
