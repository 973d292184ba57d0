// GAT: builds the layer stack from options and runs it.
#include "model/gat.h"

#include "common/error.h"

namespace gat::model {

GATOptions gat_options_from_config(const config::ModelConfig& m, int64_t in_channels, int64_t out_channels) {
  return GATOptions(in_channels, out_channels)
      .hidden_channels(m.hidden)
      .heads(m.heads)
      .negative_slope(m.negative_slope)
      .input_dropout(m.input_dropout)
      .dropout(m.dropout)
      .add_self_loops(m.add_self_loops)
      .bias(m.bias)
      .residual(m.residual)
      .attention(ops::attention_impl_from_string(m.attention));
}

GATImpl::GATImpl(const GATOptions& options_) : options(options_) { reset(); }

void GATImpl::reset() {
  const auto& hidden = options.hidden_channels();
  const auto& heads = options.heads();
  if (heads.size() != hidden.size() + 1)
    throw Error("GAT: heads needs one entry per hidden layer plus one for the output layer");
  layers = register_module("layers", torch::nn::ModuleList());
  convs.clear();
  int64_t in = options.in_channels();
  for (std::size_t l = 0; l < heads.size(); ++l) {
    const bool last = l == hidden.size();
    auto conv_options = GATConvOptions(in, last ? options.out_channels() : hidden[l])
                            .heads(heads[l])
                            .concat(!last)
                            .negative_slope(options.negative_slope())
                            .input_dropout(options.input_dropout())
                            .dropout(options.dropout())
                            .add_self_loops(options.add_self_loops())
                            .bias(options.bias())
                            .residual(options.residual())
                            .attention(options.attention());
    convs.push_back(GATConv(conv_options));
    layers->push_back(convs.back());
    in = convs.back()->output_channels();
  }
}

torch::Tensor GATImpl::forward(const torch::Tensor& x, const torch::Tensor& edge_index) {
  return forward_planned(x, ops::plan_on(x, edge_index, options.add_self_loops()));
}

torch::Tensor GATImpl::forward_planned(const torch::Tensor& x, const ops::EdgePlan& plan,
                                       std::vector<torch::Tensor>* attention) {
  if (attention) attention->assign(convs.size(), torch::Tensor());
  torch::Tensor h = x;
  for (std::size_t l = 0; l < convs.size(); ++l) {
    h = convs[l]->forward_planned(h, plan, attention ? &(*attention)[l] : nullptr);
    // In place: ELU's backward then reads its output, which the next layer keeps anyway, so the
    // pre-activation is not held until backward.
    if (l + 1 < convs.size()) h = torch::elu_(h);
  }
  return h;
}

}  // namespace gat::model
