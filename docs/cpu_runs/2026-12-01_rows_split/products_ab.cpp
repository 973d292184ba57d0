#include <torch/torch.h>
#include <ATen/Parallel.h>
#include <chrono>
#include <cstdio>
#include <algorithm>
using Clock = std::chrono::steady_clock;
// rows of out = a · b, split across threads, 1-thread BLAS each
static void mm_rows(const torch::Tensor& a, const torch::Tensor& b, torch::Tensor& out) {
  const int64_t n = a.size(0);
  at::parallel_for(0, 2, 1, [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      int64_t r0 = n * p / 2, r1 = n * (p + 1) / 2;
      auto o = out.narrow(0, r0, r1 - r0);
      at::mm_out(o, a.narrow(0, r0, r1 - r0), b);
    }
  });
}
int main() {
  at::set_num_threads(2);
  const int64_t N = 4490;
  auto x = torch::randn({N, 1024}), w1 = torch::randn({1032, 1024}), g1 = torch::randn({N, 1032});
  auto w2 = torch::randn({859, 1024}), g2 = torch::randn({N, 859});
  auto x0 = torch::randn({N, 50}), w0 = torch::randn({1024, 50}).t().contiguous().t(), g0 = torch::randn({N, 1024});
  auto w0c = w0.contiguous();
  auto big = torch::randn({2048, 2048}), big2 = torch::randn({2048, 2048});
  struct Case { const char* name; torch::Tensor a, b; };
  std::vector<Case> cases = {
    {"L1 fwd", x, w1.t()}, {"L1 dX", g1, w1}, {"L1 dW", g1.t(), x},
    {"L2 fwd", x, w2.t()}, {"L2 dX", g2, w2}, {"L2 dW", g2.t(), x},
    {"L0 fwd", x0, w0.t()}, {"L0 dW gTx", g0.t(), x0}, {"L0 dW xTg", x0.t(), g0}, {"L0 fwd wT", x0, w0c.t()},
    {"L1 dW xTg", x.t(), g1}, {"L2 dW xTg", x.t(), g2}, {"2048^3", big, big2}};
  for (int round = 0; round < 3; ++round) {
    double ta = 0, tb = 0;
    for (auto& c : cases) {
      auto out = torch::empty({c.a.size(0), c.b.size(1)});
      auto ref = torch::mm(c.a, c.b);
      mm_rows(c.a, c.b, out);
      bool same = torch::equal(ref, out);
      std::vector<double> A, B;
      for (int r = 0; r < 7; ++r) {
        auto t0 = Clock::now(); auto o1 = torch::mm(c.a, c.b); auto t1 = Clock::now();
        mm_rows(c.a, c.b, out); auto t2 = Clock::now();
        A.push_back(std::chrono::duration<double>(t1 - t0).count() * 1e3);
        B.push_back(std::chrono::duration<double>(t2 - t1).count() * 1e3);
      }
      std::sort(A.begin(), A.end()); std::sort(B.begin(), B.end());
      ta += A[3]; tb += B[3];
      printf("%s: mm %.2f  split %.2f  same bits %d\n", c.name, A[3], B[3], (int)same);
    }
    printf("total mm %.1f split %.1f\n", ta, tb);
  }
}
