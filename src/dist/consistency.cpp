// Comparing ranks' configs and data shapes against rank 0's.
#include "dist/consistency.h"

#include <cstring>
#include <sstream>

#include "common/error.h"

namespace gat::dist {

std::string broadcast_text(Communicator& comm, const std::string& text, int root) {
  if (comm.size() == 1) return text;
  torch::Tensor length = torch::tensor({int64_t(text.size())});
  comm.broadcast(length, root);
  torch::Tensor bytes = torch::zeros({length.item<int64_t>()}, torch::kUInt8);
  if (comm.rank() == root) std::memcpy(bytes.data_ptr(), text.data(), text.size());
  comm.broadcast(bytes, root);
  return std::string(static_cast<const char*>(bytes.data_ptr()), bytes.numel());
}

void throw_first_failure(Communicator& comm, const std::string& mine) {
  torch::Tensor failed = torch::zeros({comm.size()}, torch::kFloat64);
  failed[comm.rank()] = mine.empty() ? 0.0 : 1.0;
  comm.all_reduce(failed, ReduceOp::kSum);
  const int root = static_cast<int>(failed.nonzero()[0][0].item<int64_t>());
  throw Error(broadcast_text(comm, mine, root));
}

std::pair<std::string, std::string> first_difference(const std::string& a, const std::string& b) {
  std::istringstream in_a(a), in_b(b);
  std::string line_a, line_b;
  while (true) {
    const bool more_a = static_cast<bool>(std::getline(in_a, line_a)),
               more_b = static_cast<bool>(std::getline(in_b, line_b));
    if (!more_a) line_a = "(end)";
    if (!more_b) line_b = "(end)";
    if (line_a != line_b || (!more_a && !more_b)) return {line_a, line_b};
  }
}

void check_same_on_all_ranks(Communicator& comm, const std::string& what, const std::string& text) {
  const std::string reference = broadcast_text(comm, text);
  if (reference == text) return;
  const auto [here, there] = first_difference(text, reference);
  throw Error(what + " differ from rank 0: here '" + here + "', rank 0 '" + there + "'");
}

}  // namespace gat::dist
