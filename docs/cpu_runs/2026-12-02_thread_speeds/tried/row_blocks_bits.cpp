#include <torch/torch.h>
#include <cstdio>
// Row blocks at multiples of `u`: same bits as the whole product?
int main() {
  at::set_num_threads(1);
  torch::manual_seed(0);
  struct S { int64_t m, k, n; bool ta, tb; };
  for (S s : {S{4490, 1024, 1032, false, true}, S{4490, 1032, 1024, false, false}, S{1032, 4490, 1024, true, false}, S{4490, 50, 1024, false, true}, S{1024, 4490, 50, true, false}, S{859, 4490, 1024, true, false}, S{4490, 1024, 859, false, true}, S{4490, 859, 1024, false, false}}) {
    auto a = s.ta ? torch::randn({s.k, s.m}).t() : torch::randn({s.m, s.k});
    auto b = s.tb ? torch::randn({s.n, s.k}).t() : torch::randn({s.k, s.n});
    auto full = torch::mm(a, b);
    std::printf("m%ld k%ld n%ld ta%d tb%d:", s.m, s.k, s.n, s.ta, s.tb);
    for (int64_t u : {4, 6, 8, 12, 16, 24, 48, 96}) {
      int bad = 0, n = 0;
      for (int64_t r0 = 0; r0 < s.m; r0 += u * 7) {
        for (int64_t len : {u, 5 * u, 37 * u, s.m - r0}) {
          if (r0 + len > s.m || len <= 0) continue;
          auto blk = torch::mm(a.narrow(0, r0, len), b);
          bad += !torch::equal(blk, full.narrow(0, r0, len)); ++n;
        }
      }
      std::printf(" u%ld:%d/%d", u, bad, n);
    }
    std::printf("\n"); std::fflush(stdout);
  }
}
