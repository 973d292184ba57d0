// Test helper: the message of the gat::Error that a call throws, for comparing with the exact line.
#pragma once

#include <string>

#include "common/error.h"

namespace gat::testing {

// The message of the gat::Error that `f` throws, or "(no error)".
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const gat::Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace gat::testing
