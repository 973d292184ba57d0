#include "train/adam_step.h"

#include <torch/version.h>

#include <map>
#include <memory>
#include <vector>

namespace gat::train {
namespace {

#if TORCH_VERSION_MAJOR >= 2
// The fused step where it applies (CUDA, float parameters, all with gradients, one group, no
// amsgrad); false, with nothing changed, elsewhere.
bool fused_step(torch::optim::Adam& optimizer) {
  if (optimizer.param_groups().size() != 1) return false;
  torch::optim::OptimizerParamGroup& group = optimizer.param_groups()[0];
  const auto& options = static_cast<const torch::optim::AdamOptions&>(group.options());
  if (options.amsgrad() || group.params().empty()) return false;
  for (const torch::Tensor& p : group.params())
    if (!p.is_cuda() || !p.grad().defined() || p.scalar_type() != torch::kFloat32 || p.grad().is_sparse()) return false;

  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> params, grads, exp_avgs, exp_avg_sqs, steps;
  std::map<int64_t, torch::Tensor> step_tensors;  // the kernel reads each parameter's step from the device
  for (const torch::Tensor& p : group.params()) {
    std::unique_ptr<torch::optim::OptimizerParamState>& slot = optimizer.state()[p.unsafeGetTensorImpl()];
    if (!slot) {  // created as torch::optim::Adam::step creates it
      auto fresh = std::make_unique<torch::optim::AdamParamState>();
      fresh->exp_avg(torch::zeros_like(p, torch::MemoryFormat::Preserve));
      fresh->exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Preserve));
      slot = std::move(fresh);
    }
    auto& state = static_cast<torch::optim::AdamParamState&>(*slot);
    state.step(state.step() + 1);
    torch::Tensor& step = step_tensors[state.step()];
    if (!step.defined()) step = torch::full({}, static_cast<double>(state.step()), p.options().dtype(torch::kFloat32));
    params.push_back(p);
    grads.push_back(p.grad());
    exp_avgs.push_back(state.exp_avg());
    exp_avg_sqs.push_back(state.exp_avg_sq());
    steps.push_back(step);
  }
  at::_fused_adam_(params, grads, exp_avgs, exp_avg_sqs, /*max_exp_avg_sqs=*/{}, steps, options.lr(),
                   std::get<0>(options.betas()), std::get<1>(options.betas()), options.weight_decay(), options.eps(),
                   /*amsgrad=*/false, /*maximize=*/false);
  return true;
}
#endif

}  // namespace

void adam_step(torch::optim::Adam& optimizer) {
#if TORCH_VERSION_MAJOR >= 2
  if (fused_step(optimizer)) return;
#endif
  optimizer.step();
}

}  // namespace gat::train
