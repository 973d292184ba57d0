// Whole-dataset HDF5 reads and writes as torch tensors; the only code that sees the HDF5 API.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace gat::data {

// Every failure is a gat::Error naming the file and the object, e.g.
// "x.h5: /labels: cannot read: <HDF5's message>".
class H5File {
 public:
  enum class Mode { kRead, kCreate };  // kCreate truncates
  H5File(const std::string& path, Mode mode);
  ~H5File();
  H5File(H5File&&) noexcept;
  H5File& operator=(H5File&&) noexcept;

  const std::string& path() const { return path_; }
  bool has(const std::string& object) const;

  // Dataset's element type, as a name ("int64", "uint8", "float32", "float64", "int32", ... or
  // "string", "compound", ...), its shape, and the whole of it in one read. read() throws for
  // types other than int64, uint8, float32 and float64.
  std::string dtype(const std::string& dataset) const;
  std::vector<int64_t> shape(const std::string& dataset) const;
  torch::Tensor read(const std::string& dataset) const;

  // An attribute of `object` ("/" for the root), or nullopt if absent; throws when it exists with
  // another type.
  std::optional<std::string> string_attribute(const std::string& object, const std::string& name) const;
  std::optional<int64_t> int_attribute(const std::string& object, const std::string& name) const;

  void create_group(const std::string& group);
  void write(const std::string& dataset, const torch::Tensor& tensor);  // contiguous copy, its dtype
  void write_attribute(const std::string& object, const std::string& name, const std::string& value);
  void write_attribute(const std::string& object, const std::string& name, int64_t value);

 private:
  struct Impl;
  std::string path_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gat::data
