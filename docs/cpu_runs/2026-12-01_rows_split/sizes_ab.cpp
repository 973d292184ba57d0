#include <torch/torch.h>
#include <ATen/Parallel.h>
#include <chrono>
#include <cstdio>
#include <algorithm>
using Clock = std::chrono::steady_clock;
static torch::Tensor split(const torch::Tensor& a, const torch::Tensor& b) {
  auto out = torch::empty({a.size(0), b.size(1)});
  const int64_t n = a.size(0);
  at::parallel_for(0, 2, 1, [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) { int64_t r0 = n * p / 2, r1 = n * (p + 1) / 2; auto o = out.narrow(0, r0, r1 - r0); at::mm_out(o, a.narrow(0, r0, r1 - r0), b); }
  });
  return out;
}
int main() {
  at::set_num_threads(2);
  for (int64_t n : {256, 512, 1024, 2048, 4490})
    for (auto kn : std::vector<std::pair<int64_t,int64_t>>{{50, 1024}, {64, 9}, {1024, 1032}, {256, 256}}) {
      auto a = torch::randn({n, kn.first}), b = torch::randn({kn.first, kn.second});
      std::vector<double> A, B;
      for (int r = 0; r < 21; ++r) {
        auto t0 = Clock::now(); auto o1 = torch::mm(a, b); auto t1 = Clock::now(); auto o2 = split(a, b); auto t2 = Clock::now();
        A.push_back(std::chrono::duration<double>(t1 - t0).count() * 1e3); B.push_back(std::chrono::duration<double>(t2 - t1).count() * 1e3);
      }
      std::sort(A.begin(), A.end()); std::sort(B.begin(), B.end());
      printf("n %5ld k %4ld m %4ld work %.1e: mm %.3f split %.3f ratio %.2f\n", n, kn.first, kn.second, double(n)*kn.first*kn.second, A[10], B[10], B[10]/A[10]);
    }
}
