// One eval-mode forward per batch, the sums added up over batches and then over ranks.
#include "train/evaluation.h"

#include "common/error.h"
#include "dist/consistency.h"

namespace gat::train {

torch::Tensor whole_graph_logits(model::GAT& model, data::BatchSource& batches, dist::Communicator& comm,
                                 int64_t part_edges) {
  torch::NoGradGuard no_grad;
  model->eval();
  torch::Tensor h = batches.input();
  const std::size_t layers = model->layers->size();
  for (std::size_t l = 0; l < layers; ++l) {
    const model::GATConv conv = model->conv(l);
    const model::GATConvImpl::Projected projected = conv->project(h);
    torch::Tensor out = torch::zeros({h.size(0), conv->output_channels()}, h.options());
    batches.for_each_target_part(part_edges, comm.rank(), comm.size(), [&](const data::BatchSource::TargetPart& part) {
      out.narrow(0, part.first, part.count)
          .copy_(conv->attend(projected, h, part.first, part.count, part.nodes, part.plan));
    });
    if (comm.size() > 1) comm.all_reduce(out, dist::ReduceOp::kSum);
    h = l + 1 < layers ? model->activate(l, out) : out;
  }
  return h;
}

EvalSums evaluate_split(model::GAT& model, data::BatchSource& batches, const data::Split& split,
                        dist::Communicator& comm) {
  return SplitScorer(model, batches, comm)(split);
}

EvalSums SplitScorer::operator()(const data::Split& split) {
  torch::NoGradGuard no_grad;
  model_->eval();
  const data::Task task = batches_.dataset().task;
  EvalSums sums;
  if (batches_.clustered()) {
    if (!logits_.defined()) logits_ = whole_graph_logits(model_, batches_, comm_);
    return evaluate(task, logits_.index_select(0, split.ids.to(logits_.device())),
                    batches_.dataset().labels.index_select(0, split.ids).to(logits_.device()));
  }
  std::string bad_data;  // as in Trainer::train_step: a bad streamed graph stops every rank alike
  try {
    batches_.for_each_batch(split, [&](const data::Batch& batch) {
      sums += evaluate(task, batch.scored_rows(model_->forward_planned(batch.x, batch.plan)), batch.labels);
    });
  } catch (const Error& e) {
    if (split.level == data::SplitLevel::kNode) throw;
    bad_data = e.what();
  }
  if (split.level == data::SplitLevel::kNode) return sums;
  torch::Tensor t = torch::cat({sums.to_tensor(), torch::tensor({bad_data.empty() ? 0.0 : 1.0}, torch::kFloat64)});
  comm_.all_reduce(t, dist::ReduceOp::kSum);
  if (t[-1].item<double>() > 0) dist::throw_first_failure(comm_, bad_data);
  return EvalSums::from_tensor(t.narrow(0, 0, t.size(0) - 1));
}

}  // namespace gat::train
