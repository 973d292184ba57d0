// Append with write(2) until done; on failure ftruncate back to where the record began.
#include "common/record_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/error.h"

namespace gat {

RecordFile::RecordFile(std::string path) : path_(std::move(path)) {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) throw Error(path_ + ": cannot write: " + std::strerror(errno));
}

RecordFile::~RecordFile() { ::close(fd_); }

void RecordFile::append(const std::string& record) {
  const off_t before = ::lseek(fd_, 0, SEEK_END);
  std::size_t done = 0;
  while (done < record.size()) {
    const ssize_t n = ::write(fd_, record.data() + done, record.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      // A short write ends in ENOSPC, EDQUOT or EFBIG on the next call; n == 0 cannot say why.
      const int error = n < 0 ? errno : ENOSPC;
      if (before >= 0 && ::ftruncate(fd_, before) != 0) {
        const int cut = errno;
        throw Error(path_ + ": cannot write: " + std::strerror(error) +
                    ", and cannot remove the part written: " + std::strerror(cut));
      }
      throw Error(path_ + ": cannot write: " + std::strerror(error));
    }
  }
}

}  // namespace gat
