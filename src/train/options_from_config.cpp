// Config sections -> the options of model::GAT and data::BatchSource, key by key.
#include "train/options_from_config.h"

namespace gat::train {

model::GATOptions gat_options_from_config(const config::ModelConfig& m, Precision precision, int64_t in_channels,
                                          int64_t out_channels) {
  return model::GATOptions(in_channels, out_channels)
      .hidden_channels(m.hidden)
      .heads(m.heads)
      .norm(m.norm)
      .conv(model::GATConvOptions(0, 0)
                .negative_slope(m.negative_slope)
                .input_dropout(m.input_dropout)
                .projected_dropout(m.projected_dropout)
                .dropout(m.dropout)
                .add_self_loops(m.add_self_loops)
                .bias(m.bias)
                .residual(m.residual)
                .attention(m.attention)
                .precision(precision));
}

data::BatchSourceOptions batch_source_options(const config::Config& config, const dist::Communicator& comm) {
  data::BatchSourceOptions options;
  options.normalize_features = config.data.normalize_features;
  options.add_self_loops = config.model.add_self_loops;
  options.eval_graphs = config.train.batch_graphs;
  options.cache_bytes = static_cast<int64_t>(config.data.cache_mb * (1 << 20));
  options.rank = comm.rank();
  options.ranks = comm.size();
  options.shares = config.dist.shares;
  options.clusters_per_batch = config.data.clusters_per_batch;
  return options;
}

}  // namespace gat::train
