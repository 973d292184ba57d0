#include <torch/torch.h>
#include <ATen/Parallel.h>
#include <chrono>
#include <cstdio>
using Clock = std::chrono::steady_clock;
static torch::Tensor split(const torch::Tensor& a, const torch::Tensor& b) {
  auto out = torch::empty({a.size(0), b.size(1)});
  const int64_t n = a.size(0);
  at::parallel_for(0, 2, 1, [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) { int64_t r0 = n * p / 2, r1 = n * (p + 1) / 2; auto o = out.narrow(0, r0, r1 - r0); at::mm_out(o, a.narrow(0, r0, r1 - r0), b); }
  });
  return out;
}
int main(int argc, char** argv) {
  at::set_num_threads(2);
  bool mm_first = argc > 1;
  auto a = torch::randn({512, 64}), b = torch::randn({64, 1024});
  for (int r = 0; r < 40; ++r) {
    auto t0 = Clock::now(); if (mm_first) torch::mm(a, b); auto t1 = Clock::now(); split(a, b); auto t2 = Clock::now();
    printf("%.2f/%.2f ", std::chrono::duration<double>(t1 - t0).count() * 1e3, std::chrono::duration<double>(t2 - t1).count() * 1e3);
  }
  printf("\n");
}
