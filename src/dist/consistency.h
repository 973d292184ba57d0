// Start-up checks that every rank is about to run the same job.
#pragma once

#include <string>
#include <utility>

#include "dist/communicator.h"

namespace gat::dist {

// Rank 0's `text` (any bytes) on every rank.
std::string broadcast_text(Communicator& comm, const std::string& text);

// The first line where two texts differ, from each ("(end)" past the last line).
std::pair<std::string, std::string> first_difference(const std::string& a, const std::string& b);

// Compares `text` with rank 0's, line by line. On a rank where it differs, throws gat::Error
// naming the first differing line on both sides, e.g.
//   "config and data differ from rank 0: here 'lr: 0.01', rank 0 'lr: 0.005'".
void check_same_on_all_ranks(Communicator& comm, const std::string& what, const std::string& text);

}  // namespace gat::dist
