// Dropout masks drawn from Philox at each element's key and index.
#include "ops/dropout.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <immintrin.h>

#include <algorithm>
#include <mutex>
#include <vector>

#include "ops/cpu_capability.h"

namespace gat::ops {
namespace {

// Philox's 64-bit subsequence holds the rest of the key: epoch (24 bits), graph (32 bits) and
// the layer's site (8 bits): layer * 2 + site for the input and attention, as the first two sites
// were numbered, and 128 + layer for the projected features, so that masks of the input and
// attention stayed as they were when that site came. Every combination in range is a stream of its
// own.
uint64_t subsequence(const DropoutKey& key, int64_t graph, DropoutSite site) {
  const int64_t stream = site == DropoutSite::kProjected ? 128 + key.layer : key.layer * 2 + static_cast<int64_t>(site);
  TORCH_CHECK(key.epoch >= 0 && key.epoch < (int64_t{1} << 24) && graph >= 0 && graph < (int64_t{1} << 32) &&
                  key.layer >= 0 && key.layer < 64,
              "dropout: key out of range (epoch ", key.epoch, " of < 2^24, graph ", graph, " of < 2^32, layer ",
              key.layer, " of < 64)");
  return static_cast<uint64_t>(key.epoch) << 40 | static_cast<uint64_t>(graph) << 8 | static_cast<uint64_t>(stream);
}

// An element is kept when its 32-bit draw is at least p * 2^32: with probability 1 - p, to 2^-32.
uint32_t keep_threshold(double p) {
  TORCH_CHECK(p >= 0 && p < 1, "dropout: p must be in [0, 1), got ", p);
  return static_cast<uint32_t>(std::min(p * 4294967296.0, 4294967295.0));
}

int64_t rows_of(const GraphExtent& g, DropoutSite site) { return site == DropoutSite::kAttention ? g.edges : g.nodes; }

#define GAT_CPU_KERNELS "ops/dropout_cpu.inc"
#include "ops/cpu_builds.inc"
GAT_CPU_DISPATCH(keep_run)
GAT_CPU_DISPATCH(keep_at)

// Elements [0, count) of one graph's stream, four to a Philox block, runs of blocks spread over
// threads: each element's value is its own, so the mask is the same for any thread count.
template <typename T>
void fill_stream(T* out, int64_t count, uint64_t seed, uint64_t stream, uint32_t threshold, T kept) {
  at::parallel_for(0, (count + 3) / 4, 4096, [&](int64_t first, int64_t last) {
    keep_run<T>(out + 4 * first, 4 * first, std::min(count, 4 * last) - 4 * first, seed, stream, threshold, kept);
  });
}

}  // namespace

torch::Tensor dropout_mask(const DropoutKey& key, DropoutSite site, int64_t width, double p,
                           const torch::TensorOptions& options) {
  const uint32_t threshold = keep_threshold(p);
  int64_t rows = 0;
  for (const GraphExtent& g : key.graphs) rows += rows_of(g, site);
  torch::Tensor mask = torch::empty({rows, width}, options.device(torch::kCPU));
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, mask.scalar_type(), "dropout_mask", [&] {
    scalar_t* out = mask.data_ptr<scalar_t>();
    const auto kept = static_cast<scalar_t>(1.0 / (1.0 - p));
    for (const GraphExtent& g : key.graphs) {
      const int64_t count = rows_of(g, site) * width;
      fill_stream(out, count, key.seed, subsequence(key, g.graph, site), threshold, kept);
      out += count;
    }
  });
  return options.device().is_cpu() ? mask : mask.to(options.device());
}

torch::Tensor dropout(const torch::Tensor& x, const DropoutKey& key, DropoutSite site, double p, bool training) {
  if (!training || p == 0) return x;
  if (!x.is_sparse()) {
    const torch::Tensor mask = dropout_mask(key, site, x.size(1), p, x.options());
    TORCH_CHECK(mask.size(0) == x.size(0), "dropout: the key's graphs cover ", mask.size(0), " rows, x has ",
                x.size(0));
    return x * mask;
  }
  // Stored elements only, each drawn at the index it has in the dense x.
  const uint32_t threshold = keep_threshold(p);
  const torch::Tensor c = x.coalesce();
  const torch::Tensor indices = c.indices().cpu();  // [2, nnz], rows ascending
  const int64_t width = x.size(1), nnz = indices.size(1);
  const int64_t* row = indices.data_ptr<int64_t>();
  const int64_t* col = row + nnz;
  torch::Tensor mask = torch::empty({nnz}, c.values().options().device(torch::kCPU));
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, mask.scalar_type(), "dropout", [&] {
    scalar_t* out = mask.data_ptr<scalar_t>();
    const auto kept = static_cast<scalar_t>(1.0 / (1.0 - p));
    int64_t k = 0, first_row = 0;
    for (const GraphExtent& g : key.graphs) {
      const uint64_t stream = subsequence(key, g.graph, site);
      const int64_t end_row = first_row + rows_of(g, site);
      const int64_t k_end = std::lower_bound(row + k, row + nnz, end_row) - row;
      at::parallel_for(k, k_end, 2048, [&](int64_t k0, int64_t k1) {
        std::vector<int64_t> elements(k1 - k0);
        for (int64_t i = k0; i < k1; ++i) elements[i - k0] = (row[i] - first_row) * width + col[i];
        keep_at<scalar_t>(out + k0, elements.data(), k1 - k0, key.seed, stream, threshold, kept);
      });
      k = k_end;
      first_row = end_row;
    }
    TORCH_CHECK(k == nnz && first_row == x.size(0), "dropout: the key's graphs cover ", first_row, " rows, x has ",
                x.size(0));
  });
  // The indices are c's, already checked and coalesced: the unchecked constructor skips a min and a
  // max over them (a quarter of this function's time on Cora).
  return at::_sparse_coo_tensor_unsafe(c.indices(), c.values() * mask.to(c.values().device()), c.sizes())
      ._coalesced_(true);
}

DropoutKey drawn_key(int64_t nodes, int64_t edges) {
  at::Generator generator = at::detail::getDefaultCPUGenerator();
  uint64_t seed = 0;
  {
    std::lock_guard<std::mutex> lock(generator.mutex());
    seed = at::check_generator<at::CPUGeneratorImpl>(generator)->random64();
  }
  return DropoutKey{seed, 0, 0, {GraphExtent{0, nodes, edges}}};
}

}  // namespace gat::ops
