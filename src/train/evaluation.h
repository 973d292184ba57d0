// Scoring a model on a split, in eval mode and without an optimizer: the trainer's validation and
// test scores, and gat_eval's.
#pragma once

#include "data/batch_source.h"
#include "dist/communicator.h"
#include "model/gat.h"
#include "train/metrics.h"

namespace gat::train {

// Sums over `split`'s scored nodes. Graph-level splits are shared out over the ranks of `comm` as
// `batches` shares them, and the sums all-reduced; a node-level split is scored whole on every rank.
EvalSums evaluate_split(model::GAT& model, data::BatchSource& batches, const data::Split& split,
                        dist::Communicator& comm);

}  // namespace gat::train
