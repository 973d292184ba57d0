// A marker file that is also the lock: flock on it is held while the run lives.
#include "train/run_directory.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/atomic_file.h"
#include "common/directory.h"
#include "common/error.h"

namespace gat::train {
namespace {

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "an unknown host";
  return name;
}

// What the marker says of the run that holds it: "pid 1234 on host node01".
std::string holder_of(int fd) {
  char text[512] = {};
  const ssize_t n = ::pread(fd, text, sizeof text - 1, 0);
  std::string holder = n > 0 ? std::string(text, static_cast<std::size_t>(n)) : "";
  if (const std::size_t end = holder.find('\n'); end != std::string::npos) holder.resize(end);
  return holder.empty() ? "a process that has not written its pid yet" : one_line(holder);
}

}  // namespace

RunDirectory::RunDirectory(std::string dir) : dir_(std::move(dir)) {
  struct stat status {};
  if (::stat(dir_.c_str(), &status) == 0) {
    if (!S_ISDIR(status.st_mode)) throw Error(dir_ + ": train.run_dir: expected a directory, got a file");
    if (::access(file(kRunMarker).c_str(), F_OK) != 0 && !list_directory(dir_).empty())
      throw Error(dir_ + ": train.run_dir: not empty and not a gat_train run directory (it has no " +
                  std::string(kRunMarker) + "); choose a new or empty directory");
  } else {
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    if (ec) throw Error(dir_ + ": cannot create run directory: " + ec.message());
  }
  const std::string marker = file(kRunMarker);
  lock_fd_ = ::open(marker.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) throw Error(marker + ": cannot create: " + std::strerror(errno));
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    const std::string holder = holder_of(lock_fd_);
    ::close(lock_fd_);
    if (error == EWOULDBLOCK)
      throw Error(dir_ + ": train.run_dir: in use by another run (" + holder +
                  "); wait for it to end or choose another directory");
    throw Error(marker + ": cannot lock: " + std::strerror(error));
  }
  const std::string holder = "pid " + std::to_string(::getpid()) + " on host " + host_name() + "\n";
  if (::ftruncate(lock_fd_, 0) != 0 ||
      ::pwrite(lock_fd_, holder.data(), holder.size(), 0) != static_cast<ssize_t>(holder.size())) {
    const std::string reason = std::strerror(errno);
    ::close(lock_fd_);
    throw Error(marker + ": cannot write: " + reason);
  }
}

RunDirectory::~RunDirectory() { ::close(lock_fd_); }  // closing releases the lock

std::vector<std::string> RunDirectory::clear_earlier_run(bool resuming) {
  const std::vector<std::string> own = {kRunConfig,  kRunMetrics,    kRunKeptModel,
                                        kRunResults, kRunCheckpoint, kRunPreviousCheckpoint};
  std::vector<std::string> removed = remove_interrupted_writes(dir_, own);
  if (resuming) return removed;
  for (const char* name : {kRunKeptModel, kRunResults, kRunCheckpoint, kRunPreviousCheckpoint})
    if (remove_if_present(file(name))) removed.emplace_back(name);
  return removed;
}

}  // namespace gat::train
