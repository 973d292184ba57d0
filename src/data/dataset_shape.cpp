// Each line "data.KEY: value", so that a difference reads like a config's.
#include "data/dataset_shape.h"

#include <sstream>

namespace gat::data {

std::string describe_shape(const GraphDataset& d) {
  std::ostringstream s;
  s << "data.task: " << to_string(d.task) << "\n"
    << "data.num_classes: " << d.num_classes << "\n"
    << "data.shape: nodes " << d.num_nodes() << ", features " << d.num_features() << ", edges " << d.num_edges()
    << ", graphs " << d.num_graphs() << "\n"
    << "data.splits: " << to_string(d.train.level) << " level, train " << d.train.ids.numel() << ", val "
    << d.val.ids.numel() << ", test " << d.test.ids.numel() << "\n";
  if (d.partition)
    s << "data.partition: " << d.partition->num_clusters() << " clusters (" << d.partition->method << ", seed "
      << d.partition->seed << ")\n";
  return s.str();
}

}  // namespace gat::data
