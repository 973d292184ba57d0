// GATConv: projection, attention scores, attention, bias and residual.
#include "model/gat_conv.h"

#include <cmath>

#include "ops/attention.h"
#include "ops/dropout.h"
#include "ops/sparse_features.h"
#include "ops/weight_product.h"

namespace gat::model {

GATConvImpl::GATConvImpl(const GATConvOptions& options_) : options(options_) { reset(); }

int64_t GATConvImpl::output_channels() const {
  return options.concat() ? options.heads() * options.out_channels() : options.out_channels();
}

void GATConvImpl::reset() {
  const int64_t h = options.heads(), f = options.out_channels();
  lin = register_module("lin", torch::nn::Linear(torch::nn::LinearOptions(options.in_channels(), h * f).bias(false)));
  att_src = register_parameter("att_src", torch::empty({1, h, f}));
  att_dst = register_parameter("att_dst", torch::empty({1, h, f}));
  bias = options.bias() ? register_parameter("bias", torch::empty({output_channels()})) : torch::Tensor();
  res = nullptr;
  if (options.residual() && options.in_channels() != output_channels())
    res = register_module(
        "res", torch::nn::Linear(torch::nn::LinearOptions(options.in_channels(), output_channels()).bias(false)));
  reset_parameters();
}

void GATConvImpl::reset_parameters() {
  torch::NoGradGuard no_grad;
  // Glorot uniform with the fans of the paper's per-head kernels: W^k is in_channels x F, and
  // a_src^k, a_dst^k are each F x 1 (the paper's two 1x1 convolutions over Wh).
  auto glorot = [](torch::Tensor& t, int64_t fan_in, int64_t fan_out) {
    const double bound = std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
    t.uniform_(-bound, bound);
  };
  glorot(lin->weight, options.in_channels(), options.out_channels());
  glorot(att_src, options.out_channels(), 1);
  glorot(att_dst, options.out_channels(), 1);
  if (bias.defined()) bias.zero_();
  if (res) glorot(res->weight, options.in_channels(), output_channels());
}

torch::Tensor GATConvImpl::forward(const torch::Tensor& x, const torch::Tensor& edge_index) {
  return forward_planned(x, gat::plan_on(x, edge_index, options.add_self_loops()));
}

torch::Tensor GATConvImpl::forward_planned(const torch::Tensor& x, const EdgePlan& plan, const DropoutKey* key,
                                           torch::Tensor* attention) {
  TORCH_CHECK(plan.num_nodes == x.size(0) && plan.self_loops == options.add_self_loops(),
              "GATConv: the edge plan was made for other nodes or another add_self_loops");
  const int64_t n = x.size(0), h = options.heads(), f = options.out_channels();
  // A layer run on its own draws a new key each training forward, and only when it drops anything.
  DropoutKey drawn;
  if (!key && is_training() &&
      (options.input_dropout() > 0 || options.dropout() > 0 || options.projected_dropout() > 0))
    drawn = ops::drawn_key(n, plan.num_edges());
  const DropoutKey& masks = key ? *key : drawn;
  const torch::Tensor input = ops::dropout(x, masks, ops::DropoutSite::kInput, options.input_dropout(), is_training());
  Projected p = project(input);
  const torch::Tensor& scores = p.scores;
  torch::Tensor projected = std::move(p.projected);
  if (attention)
    *attention = ops::attention_coefficients_sparse(scores.select(2, 0), scores.select(2, 1), plan.edge_index,
                                                    options.negative_slope());
  // The messages may be dropped; the scores above came from the input, so they see Wh undropped.
  projected = ops::dropout(projected, masks, ops::DropoutSite::kProjected, options.projected_dropout(), is_training())
                  .view({n, h, f});
  const bool in_attention = attention_finishes();
  torch::Tensor out = ops::gat_attention(
      options.attention(), projected, scores, plan, options.negative_slope(), options.dropout(), is_training(), masks,
      in_attention ? epilogue(input, p.residual) : ops::Epilogue{}, options.precision());
  return in_attention ? out : finish(std::move(out), input, p.residual);  // [N, H * F] or [N, F]
}

// From this input width on, project() makes one product of the layer's weights side by side
// rather than one each: the split's copies and the backward's concatenation are two passes over
// the N x (H * F + 2 H + C) result, which a narrow input's products cost less than. Measured on a
// PPI batch (4,490 nodes, H * F = 1,024, 2 threads), forward and backward, one product against
// separate ones: 50 inputs 1.07-1.13x the time, 256 0.95-1.01x, 512 0.96-0.98x, 1,024 0.92-0.97x
// (docs/performance.md, "One product per layer").
constexpr int64_t kOneProductInputs = 512;

GATConvImpl::Projected GATConvImpl::project(const torch::Tensor& x) const {
  const int64_t n = x.size(0), h = options.heads(), f = options.out_channels();
  // <a^k, W^k x> = <W^k^T a^k, x>: both scores come from the input through [H * 2, in] weights made
  // from W and a, one thin product whose [N, H, 2] result the attention takes as one tensor.
  // Forming Wh * a ([N, H, F]) and reducing it instead costs forward and backward a dozen passes
  // over N x H x F floats a layer, which past the cache's size grow faster than the graph
  // (docs/performance.md).
  const torch::Tensor att = torch::cat({att_src, att_dst}, 0).transpose(0, 1);  // [H, 2, F]
  const torch::Tensor score_weight = torch::bmm(att, lin->weight.view({h, f, -1})).view({2 * h, -1});
  Projected p;
  if (x.is_sparse() && x.is_cpu()) {
    // Sparse features on the CPU by the project's kernel, not LibTorch's generic sparse product
    // (docs/performance.md, "The sparse feature product"), one walk over x's stored elements for
    // both products.
    const std::vector<torch::Tensor> products = ops::sparse_features_products(x, {lin->weight, score_weight});
    p.projected = products[0];
    p.scores = products[1].view({n, h, 2});
  } else if (x.size(1) < kOneProductInputs) {
    p.projected = ops::times_weight(x, lin->weight, ops::BelowSplit::kTransposedCopy, options.precision());  // Wh
    // float32: LibTorch's mm, as ever; a thin product that times_weight would only cut by rows
    // from kSplitProductWork on.
    p.scores = (options.precision() == Precision::kFp32
                    ? torch::mm(x, score_weight.t())
                    : ops::times_weight(x, score_weight, ops::BelowSplit::kTransposedView, options.precision()))
                   .view({n, h, 2});
  } else {
    // One product for Wh, both scores and the residual's projection where the layer has one: the
    // thin products run at the wide one's rate, and the input's gradient is one product too, not
    // two or three summed. The split's backward lays the parts' gradients side by side again.
    std::vector<torch::Tensor> weights{lin->weight, score_weight};
    if (res) weights.push_back(res->weight);
    std::vector<int64_t> widths;
    for (const torch::Tensor& w : weights) widths.push_back(w.size(0));
    const std::vector<torch::Tensor> parts =
        ops::times_weight(x, torch::cat(weights), ops::BelowSplit::kTransposedView, options.precision())
            .split_with_sizes(widths, 1);
    p.projected = parts[0];  // Wh, [N, H * F], its rows where the product left them
    p.scores = parts[1].contiguous().view({n, h, 2});
    if (res) p.residual = parts[2].contiguous();
  }
  return p;
}

torch::Tensor GATConvImpl::attend(const Projected& p, const torch::Tensor& x, int64_t first, int64_t count,
                                  const torch::Tensor& nodes, const EdgePlan& plan) const {
  TORCH_CHECK(
      !is_training() && !x.is_sparse() && plan.num_nodes == nodes.size(0) &&
          plan.self_loops == options.add_self_loops(),
      "GATConv::attend: evaluation only, on dense input, over a plan of `nodes` made with this layer's add_self_loops");
  const int64_t h = options.heads(), f = options.out_channels();
  const torch::Tensor projected = p.projected.index_select(0, nodes).view({nodes.size(0), h, f});
  const torch::Tensor out =
      ops::gat_attention(options.attention(), projected, p.scores.index_select(0, nodes), plan,
                         options.negative_slope(), 0, false, DropoutKey{}, {}, options.precision());
  return finish(out.narrow(0, 0, count).contiguous(), x.narrow(0, first, count),
                p.residual.defined() ? p.residual.narrow(0, first, count) : torch::Tensor());
}

ops::Epilogue GATConvImpl::epilogue(const torch::Tensor& input, const torch::Tensor& residual) const {
  ops::Epilogue e;
  if (residual.defined()) {
    e.residual = residual;
  } else if (options.residual()) {
    e.residual = input;
    if (res) e.residual_weight = res->weight;
  }
  e.bias = bias;
  e.elu = options.elu();
  e.precision = options.precision();
  return e;
}

// A single head's average is the head itself.
bool GATConvImpl::attention_finishes() const { return options.concat() || options.heads() == 1; }

torch::Tensor GATConvImpl::finish(torch::Tensor out, const torch::Tensor& input, const torch::Tensor& residual) const {
  if (!attention_finishes()) out = out.view({out.size(0), options.heads(), options.out_channels()}).mean(1);
  return ops::apply_epilogue(std::move(out), epilogue(input, residual));
}

}  // namespace gat::model
