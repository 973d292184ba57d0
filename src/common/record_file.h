// A file that grows by whole records (metrics.jsonl's lines): each lands in full or not at all.
#pragma once

#include <string>

namespace gat {

class RecordFile {
 public:
  // Opens `path` for appending, creating it if absent; gat::Error naming it on failure.
  explicit RecordFile(std::string path);
  ~RecordFile();
  RecordFile(const RecordFile&) = delete;
  RecordFile& operator=(const RecordFile&) = delete;

  // Appends `record`. On any failure (a full disk, a quota, a file size limit) the file is cut back
  // to its size before, so that a reader never meets half a record, and the error is one
  // gat::Error "PATH: cannot write: REASON".
  void append(const std::string& record);

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace gat
