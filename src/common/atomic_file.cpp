// Temp-file-and-rename writes.
#include "common/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/directory.h"
#include "common/error.h"

namespace gat {
namespace {

constexpr const char* kTemporaryInfix = ".tmp.";

std::string temporary_path(const std::string& path) { return path + kTemporaryInfix + std::to_string(::getpid()); }

// Whether `name` is one of `names` followed by .tmp.PID, as temporary_path makes it.
bool is_temporary_name(const std::string& name, const std::vector<std::string>& names) {
  const std::size_t at = name.rfind(kTemporaryInfix);
  if (at == std::string::npos || std::find(names.begin(), names.end(), name.substr(0, at)) == names.end()) return false;
  const std::string pid = name.substr(at + std::strlen(kTemporaryInfix));
  return !pid.empty() && std::all_of(pid.begin(), pid.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

void write_file_atomically(const std::string& path, const std::string& contents) {
  const std::string tmp = temporary_path(path);
  auto fail = [&](const std::string& what) {
    const std::string reason = std::strerror(errno);
    ::unlink(tmp.c_str());
    throw Error(path + ": " + what + ": " + reason);
  };
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << contents;
    out.close();
    if (!out) fail("cannot write");
  }
  const int fd = ::open(tmp.c_str(), O_RDONLY);
  if (fd < 0) fail("cannot open to sync");
  if (::fsync(fd) != 0) {
    const int error = errno;  // before close() can change it
    ::close(fd);
    errno = error;
    fail("cannot sync to disk");
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) fail("cannot rename " + tmp + " to it");
}

std::string read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return in ? bytes.str() : std::string();
}

bool remove_if_present(const std::string& path) {
  if (::unlink(path.c_str()) == 0) return true;
  if (errno == ENOENT) return false;
  throw Error(path + ": cannot remove: " + std::strerror(errno));
}

std::vector<std::string> remove_interrupted_writes(const std::string& dir, const std::vector<std::string>& names) {
  std::vector<std::string> found;
  for (const std::string& name : list_directory(dir))
    if (is_temporary_name(name, names)) found.push_back(name);
  for (const std::string& name : found) remove_if_present(dir + "/" + name);
  return found;
}

}  // namespace gat
