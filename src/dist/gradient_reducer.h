// Gradient synchronisation in buckets, after PyTorch DDP's reducer: all-reduce overlaps backward.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <vector>

#include "dist/communicator.h"

namespace gat::dist {

// Groups parameters into buckets of at most cap_bytes each (a larger parameter gets a bucket of
// its own), walking them in reverse registration order: backward produces the last layer's
// gradients first, so the first bucket fills first. Returns parameter indices per bucket.
std::vector<std::vector<std::size_t>> plan_buckets(const std::vector<int64_t>& param_bytes, int64_t cap_bytes);

// Sums the gradients of `params` over all ranks at every step.
//   reducer.prepare();  loss.backward();  reducer.finish();  optimizer.step();
// With overlap, a hook on each parameter copies its gradient into its bucket as backward produces
// it, and a full bucket's all-reduce starts at once while backward goes on. Buckets start in
// index order on every rank (a bucket that fills early waits for the ones before it), so the
// ranks' collectives always match. A rank that ran no backward (no graphs in this step) still
// reduces every bucket, with zeros, in finish().
class GradientReducer {
 public:
  GradientReducer(std::vector<torch::Tensor> params, Communicator& comm, int64_t bucket_bytes, bool overlap);
  ~GradientReducer();
  GradientReducer(const GradientReducer&) = delete;
  GradientReducer& operator=(const GradientReducer&) = delete;

  void prepare();  // before backward
  void finish();   // after backward: every bucket reduced, gradients replaced by the sums

  std::size_t num_buckets() const { return buckets_.size(); }

 private:
  struct Bucket {
    std::vector<std::size_t> params;  // indices into params_, in the order they are packed
    std::vector<int64_t> offsets;     // element offset of each parameter in `flat`
    torch::Tensor flat;               // the packed gradients, all-reduced in place
    std::size_t pending = 0;          // parameters whose gradient has not arrived this step
    std::unique_ptr<Work> work;       // the all-reduce in flight, once started
  };

  void on_gradient(std::size_t param, const torch::Tensor& grad);
  void start_ready_buckets();  // in index order, up to the first bucket still pending

  std::vector<torch::Tensor> params_;
  Communicator& comm_;
  bool overlap_;
  std::vector<Bucket> buckets_;
  std::vector<std::pair<std::size_t, std::size_t>> location_;  // param -> (bucket, slot)
  std::size_t next_to_start_ = 0;
};

}  // namespace gat::dist
