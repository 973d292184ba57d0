// Refusing a path that names something other than a regular file before opening it: opening a FIFO
// blocks until a writer comes, /dev/zero never ends, and a directory gets some library's misleading
// message.
#pragma once

#include <optional>
#include <string>

#include "common/error.h"

namespace gat {

// For a path that exists and is not a regular file: "PATH: expected EXPECTED, got a directory"
// (a FIFO, a character device, ...). Nothing for a regular file (or a link to one), a missing path
// or one that cannot be looked at: the caller's open reports those as it always did.
//   if (auto error = special_file_error(path, "an HDF5 file")) throw *error;
std::optional<Error> special_file_error(const std::string& path, const std::string& expected);

}  // namespace gat
