// The edges of one batch laid out for attention: grouped by target (CSR) and by source (CSC).
// Here, below both, because data makes and keeps the plans of its graphs and ops' kernels read them.
#pragma once

#include <torch/torch.h>

#include <vector>

namespace gat {

// Built once per batch and shared by every layer. The fused kernels read it so that each thread
// owns whole rows of its outputs: the forward pass and the target-side gradients walk the CSR
// rows (one per target), the source-side gradients walk the CSC rows (one per source). No
// atomics, and the summation order never depends on the thread count.
struct EdgePlan {
  int64_t num_nodes = 0;
  bool self_loops = false;   // whether exactly one self loop per node was put in
  torch::Tensor edge_index;  // int64 [2, E] (source, target), sorted by target; stable otherwise
  torch::Tensor target_ptr;  // int64 [N + 1]: target i's edges are columns target_ptr[i] .. target_ptr[i+1]
  torch::Tensor source_ptr;  // int64 [N + 1]: source j's edges are by_source[source_ptr[j] .. source_ptr[j+1]]
  torch::Tensor by_source;   // int64 [E]: edge columns grouped by source, ascending within a source

  int64_t num_edges() const { return edge_index.size(1); }
};

// edge_index int64 [2, E] with ids in [0, num_nodes). With add_self_loops, stored self loops are
// dropped and one loop per node is put last among that node's incoming edges. O(N + E).
EdgePlan make_edge_plan(const torch::Tensor& edge_index, int64_t num_nodes, bool add_self_loops);

// The plan of several graphs side by side (graph k's nodes numbered after those of graphs
// 0..k-1), joined from each graph's own plan on their device: tensor for tensor what
// make_edge_plan gives for the concatenated edge list, by copies and additions, without sorting.
// Keeping a plan per graph and joining a batch's spares every step the sort on the CPU and, on a
// GPU, the copy of the plan to it.
EdgePlan join_plans(const std::vector<const EdgePlan*>& plans);

// The plan's tensors on `device` (made on the CPU, copied through pinned memory to a GPU).
EdgePlan to_device(const EdgePlan& plan, const torch::Device& device);

// The plan of edge_index over x's nodes, on x's device: made on the CPU (edge_index is best kept
// there; a GPU edge_index costs a synchronising copy first), then moved.
EdgePlan plan_on(const torch::Tensor& x, const torch::Tensor& edge_index, bool add_self_loops);

}  // namespace gat
