// Zip archives (LibTorch's checkpoint and model files) that carry a checksum of their own bytes.
#pragma once

#include <optional>
#include <string>

namespace gat {

// `zip` with a checksum of all its bytes in the zip's archive comment, which every zip reader,
// LibTorch's included, skips. LibTorch's reader checks no CRC and its tensors are stored
// uncompressed, so without this a damaged file loads with whatever its damaged bytes say.
// `zip` must end with an end-of-central-directory record without a comment, as LibTorch writes it.
std::string sealed_zip(std::string zip);

// Why `bytes` is not a whole sealed zip, as a phrase that follows a file's name ("no checksum at
// its end (...)", "fails its checksum (the file is corrupt)"); nullopt when it is one. Checked on
// the raw bytes, before any parser sees them.
std::optional<std::string> sealed_zip_problem(const std::string& bytes);

}  // namespace gat
