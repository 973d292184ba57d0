// gat_explain's work: one eval-mode forward per graph, keeping each layer's alpha.
#include "train/explain.h"

#include "common/atomic_file.h"
#include "common/error.h"
#include "data/h5_file.h"

namespace gat::train {

void write_attention(const std::string& path, model::GAT& model, data::BatchSource& batches,
                     const std::vector<int64_t>& graphs, const ExplainSource& source) {
  const data::GraphDataset& dataset = batches.dataset();
  for (const int64_t g : graphs)
    if (g < 0 || g >= dataset.num_graphs())
      throw Error(dataset.path + ": graph " + std::to_string(g) + " is out of range [0, " +
                  std::to_string(dataset.num_graphs()) + ")");
  torch::NoGradGuard no_grad;
  const bool was_training = model->is_training();
  model->eval();
  {
    data::H5File file(path, data::H5File::Mode::kCreateInMemory);
    file.write_attribute("/", "format", "gat-attention");
    file.write_attribute("/", "version", int64_t{1});
    file.write_attribute("/", "layers", static_cast<int64_t>(model->layers->size()));
    file.write_attribute("/", "checkpoint", source.checkpoint);
    file.write_attribute("/", "data", source.data);
    file.create_group("/graphs");
    for (const int64_t g : graphs) {
      const data::Batch batch = batches.graphs_batch({g});
      std::vector<torch::Tensor> attention;
      model->forward_planned(batch.x, batch.plan, nullptr, &attention);
      const std::string group = "/graphs/" + std::to_string(g);
      file.create_group(group);
      file.write_attribute(group, "nodes", batch.x.size(0));
      file.write(group + "/edge_index", batch.plan.edge_index.cpu());
      for (std::size_t l = 0; l < attention.size(); ++l)
        file.write(group + "/layer_" + std::to_string(l), attention[l].to(torch::kCPU, torch::kFloat32));
    }
    write_file_atomically(path, file.image());
  }
  model->train(was_training);
}

}  // namespace gat::train
