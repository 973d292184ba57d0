// HDF5 reads (whole datasets or slabs) and writes as torch tensors; the only code that sees the HDF5 API.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gat::data {

// Every failure is a gat::Error of one line naming the file and the object, e.g.
// "x.h5: /labels: cannot read: H5Dread failed (<HDF5's innermost message>)".
// Element types handled both ways: int8, int16, int32, int64, uint8, float32, float64.
class H5File {
 public:
  // kRead and kReadWrite open an existing file; kCreate creates or truncates. kCreateInMemory
  // builds the file in memory only, for image(): what writes it to disk then checks every write,
  // where HDF5 reports a full disk only when it closes the file, from a destructor.
  enum class Mode { kRead, kReadWrite, kCreate, kCreateInMemory };
  // How a string attribute is stored: h5py writes variable-length strings, numpy's bytes_ arrays
  // and many C writers fixed-length ones; readers accept both.
  enum class StringType { kVariable, kFixed };

  H5File(const std::string& path, Mode mode);
  ~H5File();
  H5File(H5File&&) noexcept;
  H5File& operator=(H5File&&) noexcept;

  const std::string& path() const { return path_; }
  // Whether a group or dataset exists at `object` (an absolute path such as "/splits/val").
  bool has(const std::string& object) const;

  // The dataset's element type as a name ("int64", "float32", ..., "uint16", "string",
  // "compound", ...) and its shape. Throws "expected a dataset, got a group" for a group.
  std::string dtype(const std::string& dataset) const;
  std::vector<int64_t> shape(const std::string& dataset) const;
  // The whole dataset in one read, as a CPU tensor of its own element type.
  torch::Tensor read(const std::string& dataset) const;
  // Throws unless the file holds every element the dataset declares (what read() checks first,
  // less the check that it fits in memory): for a dataset read a slab at a time.
  void check_stored(const std::string& dataset) const;
  // The block of `count` elements from `start` along each dimension (an HDF5 hyperslab), as read()
  // gives it; reads only the chunks it covers of a chunked or compressed dataset.
  torch::Tensor read_slab(const std::string& dataset, const std::vector<int64_t>& start,
                          const std::vector<int64_t>& count) const;

  // An attribute of `object` ("/" for the root), or nullopt if absent; throws when it exists with
  // another type or more than one element.
  std::optional<std::string> string_attribute(const std::string& object, const std::string& name) const;
  std::optional<int64_t> int_attribute(const std::string& object, const std::string& name) const;

  void create_group(const std::string& group);
  // A dataset of the tensor's shape and element type, holding a contiguous copy of it.
  void write(const std::string& dataset, const torch::Tensor& tensor);
  // Scalar attributes; an existing attribute of that name is an error.
  void write_attribute(const std::string& object, const std::string& name, const std::string& value,
                       StringType type = StringType::kVariable);
  void write_attribute(const std::string& object, const std::string& name, int64_t value);

  // The bytes of the whole file as it stands (for kCreateInMemory), to write with
  // write_file_atomically.
  std::string image() const;

 private:
  struct Impl;
  std::string path_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gat::data
