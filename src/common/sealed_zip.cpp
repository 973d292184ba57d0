// The seal is the last 28 bytes: "gat-fnv1a64 " and 16 hex digits of the checksum of all the bytes
// before them, which end with the end-of-central-directory record that declares them its comment.
#include "common/sealed_zip.h"

#include <stdexcept>

#include "common/checksum.h"

namespace gat {
namespace {

constexpr char kSealPrefix[] = "gat-fnv1a64 ";
constexpr std::size_t kPrefixSize = sizeof kSealPrefix - 1;
constexpr std::size_t kSealSize = kPrefixSize + 16;
constexpr std::size_t kEndRecordSize = 22;  // its last two bytes: the comment's length
constexpr char kEndRecordSignature[] = "PK\x05\x06";

bool is_lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

}  // namespace

std::string sealed_zip(std::string zip) {
  const std::size_t end_record = zip.size() < kEndRecordSize ? 0 : zip.size() - kEndRecordSize;
  if (zip.size() < kEndRecordSize || zip.compare(end_record, 4, kEndRecordSignature) != 0 || zip[zip.size() - 2] != 0 ||
      zip[zip.size() - 1] != 0)
    throw std::logic_error("sealed_zip: not a zip that ends with an end record without a comment");
  zip[zip.size() - 2] = static_cast<char>(kSealSize & 0xff);  // little endian
  zip[zip.size() - 1] = static_cast<char>(kSealSize >> 8);
  const std::string checksum = Checksum().add(zip).hex();
  return zip + kSealPrefix + checksum;
}

std::optional<std::string> sealed_zip_problem(const std::string& bytes) {
  const std::size_t n = bytes.size();
  bool sealed = n >= kSealSize + kEndRecordSize && bytes.compare(n - kSealSize, kPrefixSize, kSealPrefix) == 0;
  for (std::size_t i = n - 16; sealed && i < n; ++i) sealed = is_lower_hex(bytes[i]);
  if (!sealed) return "no checksum at its end (cut short, or not written by this version of gat_train)";
  const std::string_view payload(bytes.data(), n - kSealSize);
  if (Checksum().add(payload).hex() != bytes.substr(n - 16)) return "fails its checksum (the file is corrupt)";
  return std::nullopt;
}

}  // namespace gat
