// Files that appear whole or not at all: write beside the target, flush to disk, rename over it.
#pragma once

#include <functional>
#include <string>

namespace gat {

// Calls write(tmp_path) to produce the file at a temporary path next to `path`, fsyncs it and
// renames it to `path`. On any failure the temporary is removed and `path` is left as it was.
void write_atomically(const std::string& path, const std::function<void(const std::string& tmp_path)>& write);

// write_atomically for text.
void write_text_atomically(const std::string& path, const std::string& text);

}  // namespace gat
