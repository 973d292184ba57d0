// config::ModelConfig -> model::GATOptions, key by key.
#include "train/model_options.h"

namespace gat::train {

model::GATOptions gat_options_from_config(const config::ModelConfig& m, int64_t in_channels, int64_t out_channels) {
  return model::GATOptions(in_channels, out_channels)
      .hidden_channels(m.hidden)
      .heads(m.heads)
      .conv(model::GATConvOptions(0, 0)
                .negative_slope(m.negative_slope)
                .input_dropout(m.input_dropout)
                .dropout(m.dropout)
                .add_self_loops(m.add_self_loops)
                .bias(m.bias)
                .residual(m.residual)
                .attention(m.attention));
}

}  // namespace gat::train
