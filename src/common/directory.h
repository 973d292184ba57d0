// Listing a directory without std::filesystem's iterators.
#pragma once

#include <string>
#include <vector>

namespace gat {

// The names in `dir` (no "." or ".."), sorted. Throws gat::Error naming `dir` when it cannot be
// read. readdir rather than std::filesystem's directory iterators: PyTorch's CUDA wheels export
// their own copy of those (docs/gpu.md), and the library must run against either LibTorch.
std::vector<std::string> list_directory(const std::string& dir);

}  // namespace gat
