#include "common/regular_file.h"

#include <filesystem>

namespace gat {
namespace {

std::string type_name(std::filesystem::file_type type) {
  using std::filesystem::file_type;
  switch (type) {
    case file_type::directory:
      return "a directory";
    case file_type::fifo:
      return "a FIFO (named pipe)";
    case file_type::character:
      return "a character device";
    case file_type::block:
      return "a block device";
    case file_type::socket:
      return "a socket";
    default:
      return "something other than a regular file";
  }
}

}  // namespace

std::optional<Error> special_file_error(const std::string& path, const std::string& expected) {
  using std::filesystem::file_type;
  std::error_code error;
  const file_type type = std::filesystem::status(path, error).type();  // follows links
  if (error || type == file_type::regular || type == file_type::not_found || type == file_type::none)
    return std::nullopt;
  return Error(path + ": expected " + expected + ", got " + type_name(type));
}

}  // namespace gat
