// Test helper: the message of the error that a call throws, for comparing with the exact line.
#pragma once

#include <c10/util/Exception.h>

#include <string>

#include "common/error.h"

namespace gat::testing {

// The message of the gat::Error, or of the c10::Error of a TORCH_CHECK (without its backtrace),
// that `f` throws, or "(no error)".
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const gat::Error& e) {
    return e.what();
  } catch (const c10::Error& e) {
    return e.msg();
  }
  return "(no error)";
}

}  // namespace gat::testing
