// One eval-mode forward per batch, the sums added up over batches and then over ranks.
#include "train/evaluation.h"

#include "common/error.h"
#include "dist/consistency.h"

namespace gat::train {

EvalSums evaluate_split(model::GAT& model, data::BatchSource& batches, const data::Split& split,
                        dist::Communicator& comm) {
  torch::NoGradGuard no_grad;
  model->eval();
  const data::Task task = batches.dataset().task;
  EvalSums sums;
  std::string bad_data;  // as in Trainer::train_step: a bad streamed graph stops every rank alike
  try {
    batches.for_each_batch(split, [&](const data::Batch& batch) {
      sums += evaluate(task, batch.scored_rows(model->forward_planned(batch.x, batch.plan)), batch.labels);
    });
  } catch (const Error& e) {
    if (split.level == data::SplitLevel::kNode) throw;
    bad_data = e.what();
  }
  if (split.level == data::SplitLevel::kNode) return sums;
  torch::Tensor t = torch::cat({sums.to_tensor(), torch::tensor({bad_data.empty() ? 0.0 : 1.0}, torch::kFloat64)});
  comm.all_reduce(t, dist::ReduceOp::kSum);
  if (t[-1].item<double>() > 0) dist::throw_first_failure(comm, bad_data);
  return EvalSums::from_tensor(t.narrow(0, 0, t.size(0) - 1));
}

}  // namespace gat::train
