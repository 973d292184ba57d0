// A whole run: every seed trained, results aggregated, the run directory written by rank 0.
#pragma once

#include <nlohmann/json.hpp>

#include "config/config.h"
#include "data/graph_dataset.h"
#include "dist/communicator.h"

namespace gat::train {

// The dataset of config.data as training sees it: read and validated, without edges when
// data.ignore_edges asks for the per-node baseline.
data::GraphDataset load_dataset(const config::Config& config);

// Whether all ranks train each seed together, each on its share of every step: graph-level data,
// and a graph trained on clusters. Otherwise (one graph trained whole, which every rank holds),
// each rank trains its own seeds.
bool ranks_share_each_seed(const config::Config& config, const data::GraphDataset& dataset);

// Trains train.seeds seeds (seed, seed+1, ...) and returns results.json's content. Rank 0 writes
// train.run_dir: config.yaml (resolved), metrics.jsonl (one line per epoch), best.pt (the seed with
// the best validation score) and results.json, each file complete or absent.
// Training runs on `device` (common/device.h); best.pt always holds CPU tensors.
nlohmann::json run_experiment(const config::Config& config, const data::GraphDataset& dataset, dist::Communicator& comm,
                              const torch::Device& device = torch::kCPU);

}  // namespace gat::train
