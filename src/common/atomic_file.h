// Files that appear whole or not at all: write beside the target, flush to disk, rename over it.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace gat {

// Calls write(tmp_path) to produce the file at a temporary path next to `path`, fsyncs it and
// renames it to `path`. On any failure the temporary is removed and `path` is left as it was.
void write_atomically(const std::string& path, const std::function<void(const std::string& tmp_path)>& write);

// write_atomically for contents already in memory, text or binary. Whatever writes to disk should
// come through here (or write_atomically with its own checks): a full disk or a quota then ends in
// one error naming the file, and the temporary is removed.
void write_file_atomically(const std::string& path, const std::string& contents);

// Removes the temporaries (NAME.tmp.PID) that write_atomically left in `dir` when its process was
// killed mid-write, and returns their names, sorted. Only for a directory that one process
// writes at a time: another live writer's temporary would go too.
std::vector<std::string> remove_interrupted_writes(const std::string& dir);

}  // namespace gat
