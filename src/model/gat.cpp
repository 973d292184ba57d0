// GAT: builds the layer stack from options and runs it.
#include "model/gat.h"

#include <optional>

#include "common/error.h"

namespace gat::model {

GATImpl::GATImpl(const GATOptions& options_) : options(options_) { reset(); }

void GATImpl::reset() {
  const auto& hidden = options.hidden_channels();
  const auto& heads = options.heads();
  if (heads.size() != hidden.size() + 1)
    throw Error("GAT: heads needs one entry per hidden layer plus one for the output layer");
  layers = register_module("layers", torch::nn::ModuleList());
  int64_t in = options.in_channels();
  for (std::size_t l = 0; l < heads.size(); ++l) {
    const bool last = l == hidden.size();
    GATConvOptions conv_options = options.conv();
    conv_options.in_channels(in).out_channels(last ? options.out_channels() : hidden[l]).heads(heads[l]).concat(!last);
    // ELU goes into the layer, where the fused attention does it in its output writes, unless a
    // normalisation comes between them (activate).
    conv_options.elu(!last && options.norm() == Normalization::kNone);
    const GATConv layer(conv_options);
    layers->push_back(layer);
    in = layer->output_channels();
  }
  // Registered only when used, so that a model without them keeps its parameters, their order and
  // its checkpoints as before.
  if (options.norm() == Normalization::kLayer) {
    norms = register_module("norms", torch::nn::ModuleList());
    for (std::size_t l = 0; l < hidden.size(); ++l)
      norms->push_back(torch::nn::LayerNorm(torch::nn::LayerNormOptions({conv(l)->output_channels()})));
  }
}

torch::Tensor GATImpl::forward(const torch::Tensor& x, const torch::Tensor& edge_index) {
  return forward_planned(x, gat::plan_on(x, edge_index, options.conv().add_self_loops()));
}

torch::Tensor GATImpl::forward_planned(const torch::Tensor& x, const EdgePlan& plan, const DropoutKey* key,
                                       std::vector<torch::Tensor>* attention) {
  const std::size_t count = layers->size();
  if (attention) attention->assign(count, torch::Tensor());
  torch::Tensor h = x;
  for (std::size_t l = 0; l < count; ++l) {
    const std::optional<DropoutKey> layer_key = key ? std::make_optional(key->at_layer(l)) : std::nullopt;
    h = conv(l)->forward_planned(h, plan, layer_key ? &*layer_key : nullptr, attention ? &(*attention)[l] : nullptr);
    if (l + 1 < count) h = activate(l, h);
  }
  return h;
}

torch::Tensor GATImpl::activate(std::size_t l, torch::Tensor h) {
  if (options.norm() == Normalization::kNone) return h;  // the layer did its ELU
  // LayerNorm (Ba et al. 2016) over the node's concatenated heads: (h - mean) / sqrt(var + eps),
  // scaled and shifted per feature. Its backward reads its input and statistics, not its output.
  h = norms->ptr<torch::nn::LayerNormImpl>(l)->forward(h);
  // In place: ELU's backward then reads its output, which the next layer keeps anyway, so the
  // pre-activation is not held until backward.
  return torch::elu_(h);
}

}  // namespace gat::model
