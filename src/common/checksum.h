// FNV-1a over 64 bits: the checksum of files the tools write and of the data a run trained on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace gat {

// Byte by byte, each step a bijection of the state: any one changed byte changes the value, and
// a few changed bytes leave it equal only by a 1 in 2^64 chance. Not a defence against someone
// who forges a file, only against a disk, a copy or a transfer that damages one.
class Checksum {
 public:
  Checksum& add(const void* data, std::size_t size);
  Checksum& add(std::string_view text) { return add(text.data(), text.size()); }
  std::string hex() const;  // 16 lowercase hex digits

 private:
  uint64_t state_ = 0xcbf29ce484222325ull;  // FNV's offset basis
};

}  // namespace gat
