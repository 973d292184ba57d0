// Counting sorts of a batch's edges by target and by source.
#include "common/edge_plan.h"

#include "common/device.h"

#include <vector>

namespace gat {

EdgePlan make_edge_plan(const torch::Tensor& edge_index, int64_t num_nodes, bool add_self_loops) {
  TORCH_CHECK(edge_index.dim() == 2 && edge_index.size(0) == 2 && edge_index.scalar_type() == torch::kInt64,
              "make_edge_plan: edge_index must be int64 [2, E], got ", edge_index.sizes());
  const torch::Tensor edges = edge_index.contiguous();
  const int64_t given = edges.size(1);
  const int64_t* src_in = edges.data_ptr<int64_t>();
  const int64_t* dst_in = src_in + given;

  // Which input edges are kept, and how many edges each target gets.
  std::vector<int64_t> in_degree(num_nodes + 1, 0);
  std::vector<char> keep(given, 1);
  for (int64_t e = 0; e < given; ++e) {
    const int64_t s = src_in[e], t = dst_in[e];
    TORCH_CHECK(s >= 0 && s < num_nodes && t >= 0 && t < num_nodes, "make_edge_plan: edge ", e, " (", s, " -> ", t,
                ") is outside nodes [0, ", num_nodes, ")");
    if (add_self_loops && s == t)
      keep[e] = 0;
    else
      ++in_degree[t + 1];
  }
  if (add_self_loops)
    for (int64_t i = 0; i < num_nodes; ++i) ++in_degree[i + 1];

  EdgePlan plan;
  plan.num_nodes = num_nodes;
  plan.self_loops = add_self_loops;
  plan.target_ptr = torch::empty({num_nodes + 1}, torch::kInt64);
  int64_t* target_ptr = plan.target_ptr.data_ptr<int64_t>();
  target_ptr[0] = 0;
  for (int64_t i = 0; i < num_nodes; ++i) target_ptr[i + 1] = target_ptr[i] + in_degree[i + 1];
  const int64_t num_edges = target_ptr[num_nodes];

  // Stable placement by target, then each node's self loop last in its row.
  plan.edge_index = torch::empty({2, num_edges}, torch::kInt64);
  int64_t* src = plan.edge_index.data_ptr<int64_t>();
  int64_t* dst = src + num_edges;
  std::vector<int64_t> next(target_ptr, target_ptr + num_nodes);
  for (int64_t e = 0; e < given; ++e) {
    if (!keep[e]) continue;
    const int64_t slot = next[dst_in[e]]++;
    src[slot] = src_in[e];
    dst[slot] = dst_in[e];
  }
  if (add_self_loops)
    for (int64_t i = 0; i < num_nodes; ++i) src[next[i]] = dst[next[i]] = i;

  // Group the CSR columns by source; walking columns in order keeps each group ascending.
  plan.source_ptr = torch::zeros({num_nodes + 1}, torch::kInt64);
  int64_t* source_ptr = plan.source_ptr.data_ptr<int64_t>();
  for (int64_t k = 0; k < num_edges; ++k) ++source_ptr[src[k] + 1];
  for (int64_t j = 0; j < num_nodes; ++j) source_ptr[j + 1] += source_ptr[j];
  plan.by_source = torch::empty({num_edges}, torch::kInt64);
  int64_t* by_source = plan.by_source.data_ptr<int64_t>();
  std::copy(source_ptr, source_ptr + num_nodes, next.begin());
  for (int64_t k = 0; k < num_edges; ++k) by_source[next[src[k]]++] = k;
  return plan;
}

EdgePlan join_plans(const std::vector<const EdgePlan*>& plans) {
  TORCH_CHECK(!plans.empty(), "join_plans: no plans to join");
  if (plans.size() == 1) return *plans[0];
  EdgePlan joined;
  joined.self_loops = plans[0]->self_loops;
  // Graph k's node ids move up by the nodes before it, and its edge columns (the CSR and CSC
  // offsets and by_source) by the edges before it; both sorts keep graphs in order, so that is
  // all make_edge_plan would do differently on the concatenated list.
  const torch::Tensor zero = torch::zeros({1}, plans[0]->target_ptr.options());
  std::vector<torch::Tensor> edge_index, target_ptr{zero}, source_ptr{zero}, by_source;
  int64_t num_edges = 0;
  for (const EdgePlan* plan : plans) {
    TORCH_CHECK(plan->self_loops == joined.self_loops, "join_plans: plans made with and without self loops");
    edge_index.push_back(plan->edge_index + joined.num_nodes);
    target_ptr.push_back(plan->target_ptr.narrow(0, 1, plan->num_nodes) + num_edges);
    source_ptr.push_back(plan->source_ptr.narrow(0, 1, plan->num_nodes) + num_edges);
    by_source.push_back(plan->by_source + num_edges);
    joined.num_nodes += plan->num_nodes;
    num_edges += plan->num_edges();
  }
  joined.edge_index = torch::cat(edge_index, 1);
  joined.target_ptr = torch::cat(target_ptr);
  joined.source_ptr = torch::cat(source_ptr);
  joined.by_source = torch::cat(by_source);
  return joined;
}

EdgePlan to_device(const EdgePlan& plan, const torch::Device& device) {
  EdgePlan moved = plan;
  moved.edge_index = gat::to_device(plan.edge_index, device);
  moved.target_ptr = gat::to_device(plan.target_ptr, device);
  moved.source_ptr = gat::to_device(plan.source_ptr, device);
  moved.by_source = gat::to_device(plan.by_source, device);
  return moved;
}

EdgePlan plan_on(const torch::Tensor& x, const torch::Tensor& edge_index, bool add_self_loops) {
  return to_device(make_edge_plan(edge_index.cpu(), x.size(0), add_self_loops), x.device());
}

}  // namespace gat
