#include "support/tool_stderr.h"

#include <sstream>

#include "common/atomic_file.h"

namespace gat::testing {

std::string read_tool_stderr(const std::string& path) {
  const std::string text = read_whole_file(path);
  if (!kAddressSanitizer) return text;
  std::istringstream lines(text);
  std::string kept, line;
  while (std::getline(lines, line)) {
    const bool mallopt_warning =
        line.rfind("[rank ", 0) == 0 && line.find("] this process's allocator refused mallopt(") != std::string::npos;
    if (!mallopt_warning) kept += line + (lines.eof() ? "" : "\n");
  }
  return kept;
}

}  // namespace gat::testing
