// What every fuzz target asserts: bad input is refused with a gat::Error of one line; anything
// else (another exception, a crash, a sanitizer report, a broken invariant) is a finding.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>

#include "common/error.h"

namespace gat::fuzz {

// Stops the process the way libFuzzer records as a crash, with the reason first.
[[noreturn]] inline void finding(const std::string& what) {
  std::fprintf(stderr, "FINDING: %s\n", what.c_str());
  std::abort();
}

inline void expect(bool holds, const std::string& what) {
  if (!holds) finding(what);
}

// Runs `parse`; a gat::Error is the expected refusal and must be one non-empty line that starts
// with `source` (the file it names). Other exceptions escape, and libFuzzer reports them.
inline bool accepted(const std::string& source, const std::function<void()>& parse) {
  try {
    parse();
    if (std::getenv("GAT_FUZZ_VERBOSE")) std::fprintf(stderr, "accepted\n");
    return true;
  } catch (const Error& e) {
    const std::string message = e.what();
    if (std::getenv("GAT_FUZZ_VERBOSE")) std::fprintf(stderr, "refused: %s\n", message.c_str());
    expect(!message.empty() && message.find('\n') == std::string::npos,
           "the error is not one line: \"" + message + "\"");
    expect(message.rfind(source, 0) == 0, "the error does not name " + source + ": \"" + message + "\"");
    return false;
  }
}

}  // namespace gat::fuzz
