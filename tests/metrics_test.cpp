// Losses, accuracy, micro-F1 and the paper's early-stopping rule.
#include <gtest/gtest.h>

#include "train/early_stopping.h"
#include "train/metrics.h"

using gat::data::Task;
using gat::train::EarlyStopping;
using gat::train::EvalSums;

TEST(Metrics, AccuracyAndCrossEntropyAgainstHandValues) {
  const torch::Tensor logits = torch::tensor({{2.0, 0.0}, {0.0, 1.0}, {3.0, 0.0}}, torch::kFloat64);
  const torch::Tensor labels = torch::tensor({0, 1, 1}, torch::kInt64);
  const EvalSums s = gat::train::evaluate(Task::kMulticlass, logits, labels);
  EXPECT_DOUBLE_EQ(s.correct, 2);
  EXPECT_DOUBLE_EQ(s.accuracy(), 2.0 / 3);
  const double expected = std::log(1 + std::exp(-2.0)) + std::log(1 + std::exp(-1.0)) + std::log(1 + std::exp(3.0));
  EXPECT_NEAR(s.loss, expected, 1e-12);
  EXPECT_NEAR(s.mean_loss(), expected / 3, 1e-12);
}

TEST(Metrics, MicroF1CountsOverAllNodesAndLabels) {
  // predictions (logit > 0): [1 0 1], [0 1 1]; truth: [1 1 0], [0 1 1] -> TP 3, FP 1, FN 1
  const torch::Tensor logits = torch::tensor({{1.0, -1.0, 2.0}, {-3.0, 0.5, 0.1}}, torch::kFloat64);
  const torch::Tensor labels = torch::tensor({{1, 1, 0}, {0, 1, 1}}, torch::kUInt8);
  const EvalSums s = gat::train::evaluate(Task::kMultilabel, logits, labels);
  EXPECT_DOUBLE_EQ(s.tp, 3);
  EXPECT_DOUBLE_EQ(s.fp, 1);
  EXPECT_DOUBLE_EQ(s.fn, 1);
  EXPECT_DOUBLE_EQ(s.micro_f1(), 6.0 / 8);
  // Per-node loss is the mean over labels of BCE with logits.
  const torch::Tensor l = gat::train::node_losses(Task::kMultilabel, logits, labels);
  const double node0 = (std::log(1 + std::exp(-1.0)) + std::log(1 + std::exp(1.0)) + std::log(1 + std::exp(2.0))) / 3;
  EXPECT_NEAR(l[0].item<double>(), node0, 1e-12);
}

TEST(Metrics, SumsOfPartsEqualTheWhole) {
  torch::manual_seed(0);
  const torch::Tensor logits = torch::randn({10, 4}, torch::kFloat64);
  const torch::Tensor labels = (torch::rand({10, 4}) < 0.4).to(torch::kUInt8);
  EvalSums parts = gat::train::evaluate(Task::kMultilabel, logits.slice(0, 0, 3), labels.slice(0, 0, 3));
  parts += gat::train::evaluate(Task::kMultilabel, logits.slice(0, 3), labels.slice(0, 3));
  const EvalSums whole = gat::train::evaluate(Task::kMultilabel, logits, labels);
  EXPECT_NEAR(parts.loss, whole.loss, 1e-12);
  EXPECT_EQ(parts.micro_f1(), whole.micro_f1());
  EXPECT_EQ(EvalSums::from_tensor(whole.to_tensor()).micro_f1(), whole.micro_f1());
}

TEST(EarlyStopping, FollowsThePaperRule) {
  EarlyStopping s(2);
  using V = EarlyStopping::Verdict;
  EXPECT_EQ(s.update(1.0, 0.5), V::kKeep);       // first epoch: best on both
  EXPECT_EQ(s.update(0.9, 0.4), V::kContinue);   // loss improved only: patience reset, model not kept
  EXPECT_EQ(s.update(0.95, 0.5), V::kContinue);  // metric tied, loss worse than 0.9: not kept
  EXPECT_EQ(s.update(0.9, 0.6), V::kKeep);       // both at least as good
  EXPECT_EQ(s.update(1.0, 0.1), V::kContinue);   // worse on both: 1 bad epoch
  EXPECT_EQ(s.bad_epochs(), 1);
  EXPECT_EQ(s.update(1.0, 0.1), V::kStop);  // patience 2 used up
}

TEST(EarlyStopping, MetricRuleIgnoresTheLoss) {
  EarlyStopping s(2, gat::StoppingRule::kMetric);
  using V = EarlyStopping::Verdict;
  EXPECT_EQ(s.update(1.0, 0.5), V::kKeep);
  EXPECT_EQ(s.update(0.5, 0.4), V::kContinue);  // loss improved only: a bad epoch under this rule
  EXPECT_EQ(s.bad_epochs(), 1);
  EXPECT_EQ(s.update(2.0, 0.5), V::kKeep);  // metric tied, loss far worse: kept, patience reset
  EXPECT_EQ(s.bad_epochs(), 0);
  EXPECT_EQ(s.update(0.1, 0.3), V::kContinue);
  EXPECT_EQ(s.update(0.1, 0.3), V::kStop);
}
