// Tensors by name, each as its dtype, its shape and its values' bytes in row-major order.
#include "data/dataset_fingerprint.h"

#include <filesystem>

#include "common/checksum.h"

namespace gat::data {
namespace {

void add_tensor(Checksum& sum, const std::string& name, const torch::Tensor& t) {
  const torch::Tensor values = t.contiguous();
  sum.add(name).add(std::string(c10::toString(values.scalar_type())));
  for (const int64_t d : values.sizes()) sum.add(&d, sizeof d);
  sum.add(values.data_ptr(), values.numel() * values.element_size());
}

}  // namespace

std::string content_fingerprint(const GraphDataset& dataset) {
  Checksum sum;
  sum.add(to_string(dataset.task)).add(&dataset.num_classes, sizeof dataset.num_classes);
  if (dataset.streamed) {
    std::error_code ec;
    const auto size = static_cast<int64_t>(std::filesystem::file_size(dataset.path, ec));
    const auto modified =
        static_cast<int64_t>(std::filesystem::last_write_time(dataset.path, ec).time_since_epoch().count());
    sum.add("streamed").add(&size, sizeof size).add(&modified, sizeof modified);
  } else {
    add_tensor(sum, "features", dataset.features);
    add_tensor(sum, "labels", dataset.labels);
    add_tensor(sum, "edge_index", dataset.edge_index);
  }
  add_tensor(sum, "graph_ptr", dataset.graph_ptr);
  add_tensor(sum, "edge_ptr", dataset.edge_ptr);
  for (const auto& [name, split] :
       {std::pair{"train", &dataset.train}, {"val", &dataset.val}, {"test", &dataset.test}}) {
    sum.add(to_string(split->level));
    add_tensor(sum, name, split->ids);
  }
  // A version-2 file's clusters: node order alone does not tell two partitions apart.
  if (dataset.partition) add_tensor(sum, "cluster_ptr", dataset.partition->cluster_ptr);
  return sum.hex();
}

}  // namespace gat::data
