// Losses, accuracy and micro-F1 counts.
#include "train/metrics.h"

namespace gat::train {

EvalSums& EvalSums::operator+=(const EvalSums& o) {
  loss += o.loss;
  nodes += o.nodes;
  correct += o.correct;
  tp += o.tp;
  fp += o.fp;
  fn += o.fn;
  return *this;
}

torch::Tensor EvalSums::to_tensor() const { return torch::tensor({loss, nodes, correct, tp, fp, fn}, torch::kFloat64); }

EvalSums EvalSums::from_tensor(const torch::Tensor& t) {
  const auto a = t.accessor<double, 1>();
  EvalSums s;
  s.loss = a[0];
  s.nodes = a[1];
  s.correct = a[2];
  s.tp = a[3];
  s.fp = a[4];
  s.fn = a[5];
  return s;
}

const char* metric_name(data::Task task) { return task == data::Task::kMulticlass ? "accuracy" : "micro_f1"; }

torch::Tensor node_losses(data::Task task, const torch::Tensor& logits, const torch::Tensor& labels) {
  namespace F = torch::nn::functional;
  if (task == data::Task::kMulticlass)
    return F::cross_entropy(logits, labels, F::CrossEntropyFuncOptions().reduction(torch::kNone));
  return F::binary_cross_entropy_with_logits(logits, labels.to(logits.scalar_type()),
                                             F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kNone))
      .mean(1);
}

EvalSums evaluate(data::Task task, const torch::Tensor& logits_in, const torch::Tensor& labels) {
  torch::NoGradGuard no_grad;
  const torch::Tensor logits = logits_in.detach();
  EvalSums s;
  s.loss = node_losses(task, logits, labels).sum().item<double>();
  s.nodes = static_cast<double>(logits.size(0));
  if (task == data::Task::kMulticlass) {
    s.correct = logits.argmax(1).eq(labels).sum().item<double>();
  } else {
    const torch::Tensor predicted = logits > 0;
    const torch::Tensor actual = labels.to(torch::kBool);
    s.tp = (predicted & actual).sum().item<double>();
    s.fp = (predicted & actual.logical_not()).sum().item<double>();
    s.fn = (predicted.logical_not() & actual).sum().item<double>();
  }
  return s;
}

}  // namespace gat::train
