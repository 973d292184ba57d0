// Attention alone at PPI's shapes: fwd and bwd medians per layer, 2 threads.
#include <ATen/Parallel.h>
#include <torch/torch.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include "common/edge_plan.h"
#include "ops/fused_attention.h"
#include "common/memory.h"
using clk = std::chrono::steady_clock;
static double ms(clk::time_point a, clk::time_point b) { return std::chrono::duration<double, std::milli>(b - a).count(); }
int main(int argc, char** argv) {
  const int reps = argc > 1 ? std::atoi(argv[1]) : 25;
  gat::keep_freed_memory();
  at::set_num_threads(2);
  torch::manual_seed(0);
  const int64_t per = 2245, graphs = 2, n = per * graphs, deg = 14;
  std::vector<torch::Tensor> parts;
  for (int64_t g = 0; g < graphs; ++g) {
    auto src = torch::randint(per, {per * deg}, torch::kLong) + g * per;
    auto dst = torch::arange(per, torch::kLong).repeat_interleave(deg) + g * per;
    parts.push_back(torch::stack({src, dst}));
  }
  auto plan = gat::make_edge_plan(torch::cat(parts, 1), n, true);
  struct L { int64_t h, f; bool elu; };
  for (L l : {L{4, 256, true}, L{6, 121, false}}) {
    auto x = torch::randn({n, l.h, l.f}).requires_grad_(true);
    auto s = torch::randn({n, l.h, 2}).requires_grad_(true);
    auto res = torch::randn({n, l.h * l.f});
    auto bias = torch::randn({l.h * l.f}).requires_grad_(true);
    gat::ops::Epilogue ep;
    ep.residual = res; ep.bias = bias; ep.elu = l.elu;
    auto g = torch::randn({n, l.h * l.f});
    std::vector<double> f, b;
    for (int r = 0; r < reps; ++r) {
      auto t0 = clk::now();
      auto out = gat::ops::fused_attention(x, s, plan, 0.2, torch::Tensor(), ep);
      auto t1 = clk::now();
      out.backward(g);
      auto t2 = clk::now();
      if (r >= 3) { f.push_back(ms(t0, t1)); b.push_back(ms(t1, t2)); }
      x.mutable_grad() = torch::Tensor(); s.mutable_grad() = torch::Tensor(); bias.mutable_grad() = torch::Tensor();
    }
    std::sort(f.begin(), f.end()); std::sort(b.begin(), b.end());
    std::printf("%ldx%ld fwd %.2f bwd %.2f ms\n", l.h, l.f, f[f.size() / 2], b[b.size() / 2]);
  }
}
