// One eval-mode forward per batch, the sums added up over batches and then over ranks.
#include "train/evaluation.h"

namespace gat::train {

EvalSums evaluate_split(model::GAT& model, data::BatchSource& batches, const data::Split& split,
                        dist::Communicator& comm) {
  torch::NoGradGuard no_grad;
  model->eval();
  const data::Task task = batches.dataset().task;
  EvalSums sums;
  batches.for_each_batch(split, [&](const data::Batch& batch) {
    sums += evaluate(task, batch.scored_rows(model->forward_planned(batch.x, batch.plan)), batch.labels);
  });
  if (split.level == data::SplitLevel::kNode) return sums;
  torch::Tensor t = sums.to_tensor();
  comm.all_reduce(t, dist::ReduceOp::kSum);
  return EvalSums::from_tensor(t);
}

}  // namespace gat::train
