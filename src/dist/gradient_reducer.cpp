// Bucketed, overlapped gradient all-reduce.
#include "dist/gradient_reducer.h"

namespace gat::dist {

std::vector<std::vector<std::size_t>> plan_buckets(const std::vector<int64_t>& param_bytes, int64_t cap_bytes) {
  std::vector<std::vector<std::size_t>> buckets;
  int64_t filled = 0;
  for (std::size_t k = param_bytes.size(); k-- > 0;) {
    if (buckets.empty() || (filled > 0 && filled + param_bytes[k] > cap_bytes)) {
      buckets.emplace_back();
      filled = 0;
    }
    buckets.back().push_back(k);
    filled += param_bytes[k];
  }
  return buckets;
}

GradientReducer::GradientReducer(std::vector<torch::Tensor> params, Communicator& comm, int64_t bucket_bytes,
                                 bool overlap)
    : params_(std::move(params)), comm_(comm), overlap_(overlap) {
  std::vector<int64_t> bytes;
  for (const auto& p : params_) bytes.push_back(p.numel() * static_cast<int64_t>(p.element_size()));
  location_.resize(params_.size());
  for (const auto& indices : plan_buckets(bytes, bucket_bytes)) {
    Bucket b;
    b.params = indices;
    int64_t size = 0;
    for (std::size_t slot = 0; slot < indices.size(); ++slot) {
      location_[indices[slot]] = {buckets_.size(), slot};
      b.offsets.push_back(size);
      size += params_[indices[slot]].numel();
    }
    b.flat = torch::zeros({size}, params_[indices[0]].options());
    buckets_.push_back(std::move(b));
  }
  if (overlap_)
    for (std::size_t k = 0; k < params_.size(); ++k)
      params_[k].register_hook([this, k](torch::Tensor grad) {
        on_gradient(k, grad);
        return grad;
      });
}

GradientReducer::~GradientReducer() {
  for (auto& b : buckets_)
    if (b.work) b.work->wait();
}

void GradientReducer::prepare() {
  for (auto& b : buckets_) {
    b.flat.zero_();
    b.pending = b.params.size();
    b.work.reset();
  }
  next_to_start_ = 0;
}

void GradientReducer::on_gradient(std::size_t param, const torch::Tensor& grad) {
  const auto [bucket, slot] = location_[param];
  Bucket& b = buckets_[bucket];
  b.flat.narrow(0, b.offsets[slot], grad.numel()).copy_(grad.reshape(-1));
  if (--b.pending == 0) start_ready_buckets();
}

void GradientReducer::start_ready_buckets() {
  while (next_to_start_ < buckets_.size() && buckets_[next_to_start_].pending == 0) {
    Bucket& b = buckets_[next_to_start_++];
    b.work = comm_.all_reduce_async(b.flat, ReduceOp::kSum);
  }
}

void GradientReducer::finish() {
  torch::NoGradGuard no_grad;
  for (auto& b : buckets_) {
    if (!overlap_) {
      for (std::size_t slot = 0; slot < b.params.size(); ++slot) {
        const torch::Tensor& g = params_[b.params[slot]].grad();
        if (g.defined()) b.flat.narrow(0, b.offsets[slot], g.numel()).copy_(g.reshape(-1));
      }
    }
    b.pending = 0;  // gradients that never arrived (no backward on this rank) count as zeros
  }
  start_ready_buckets();
  for (auto& b : buckets_) {
    b.work->wait();
    for (std::size_t slot = 0; slot < b.params.size(); ++slot) {
      torch::Tensor& p = params_[b.params[slot]];
      const torch::Tensor sum = b.flat.narrow(0, b.offsets[slot], p.numel()).view(p.sizes());
      if (p.grad().defined())
        p.mutable_grad().copy_(sum);
      else
        p.mutable_grad() = sum.clone();
    }
  }
}

}  // namespace gat::dist
