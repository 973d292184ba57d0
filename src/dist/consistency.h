// Start-up checks that every rank is about to run the same job.
#pragma once

#include <string>
#include <utility>

#include "dist/communicator.h"

namespace gat::dist {

// Rank `root`'s `text` (any bytes) on every rank.
std::string broadcast_text(Communicator& comm, const std::string& text, int root = 0);

// For a failure that some ranks met and the others learnt of through a collective (a bad graph
// that only the rank reading it finds): called on every rank, with `mine` empty where this rank
// met none, throws on every rank the gat::Error of the lowest rank that met one, so that all end
// alike with one line.
[[noreturn]] void throw_first_failure(Communicator& comm, const std::string& mine);

// The first line where two texts differ, from each ("(end)" past the last line).
std::pair<std::string, std::string> first_difference(const std::string& a, const std::string& b);

// Compares `text` with rank 0's, line by line. On a rank where it differs, throws gat::Error
// naming the first differing line on both sides, e.g.
//   "config and data differ from rank 0: here 'lr: 0.01', rank 0 'lr: 0.005'".
void check_same_on_all_ranks(Communicator& comm, const std::string& what, const std::string& text);

}  // namespace gat::dist
