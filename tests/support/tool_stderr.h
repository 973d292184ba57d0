// Test helper: what a tool wrote to stderr, as the tests that compare it line for line read it.
#pragma once

#include <string>

namespace gat::testing {

// Whether this test binary, and so the tools built with it, run under AddressSanitizer.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAddressSanitizer = true;
#else
constexpr bool kAddressSanitizer = false;
#endif

// The file's text. Under AddressSanitizer, less each rank's warning that the allocator refused
// mallopt: ASan's allocator always refuses it, so there every tool warns once first
// (keep_freed_memory, src/common/memory.cpp), and the exact-stderr tests would fail on that line
// alone. Elsewhere the text is returned whole, and cli_test checks that warning itself.
std::string read_tool_stderr(const std::string& path);

}  // namespace gat::testing
