// Files that appear whole or not at all: write beside the target, flush to disk, rename over it.
#pragma once

#include <string>
#include <vector>

namespace gat {

// Writes `contents` (text or binary) to a temporary file next to `path`, fsyncs it and renames it
// to `path`, so the file appears whole or not at all. Any failure, a full disk or a quota
// included, is one error naming `path`; the temporary is then removed and `path` left as it was.
// Whatever the tools write to disk goes through here, serialised in memory first.
void write_file_atomically(const std::string& path, const std::string& contents);

// The whole content of the file at `path` (text or binary), or "" when it cannot be read: the
// counterpart of write_file_atomically, for files whose readers check what they get (a checksum).
std::string read_whole_file(const std::string& path);

// Removes the file at `path` if there is one and says whether there was; any other failure is one
// error naming it.
bool remove_if_present(const std::string& path);

// Removes the temporaries (NAME.tmp.PID) that write_file_atomically left in `dir` of the files
// `names` when its process was killed mid-write, and returns their names, sorted. Only for a
// directory that one process writes at a time: another live writer's temporary would go too.
std::vector<std::string> remove_interrupted_writes(const std::string& dir, const std::vector<std::string>& names);

}  // namespace gat
