// FNV-1a: xor in a byte, multiply by FNV's 64-bit prime.
#include "common/checksum.h"

#include <cstdio>

namespace gat {

Checksum& Checksum::add(const void* data, std::size_t size) {
  constexpr uint64_t kPrime = 0x100000001b3ull;
  const auto* bytes = static_cast<const unsigned char*>(data);
  uint64_t h = state_;
  for (std::size_t i = 0; i < size; ++i) h = (h ^ bytes[i]) * kPrime;
  state_ = h;
  return *this;
}

std::string Checksum::hex() const {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(state_));
  return text;
}

}  // namespace gat
