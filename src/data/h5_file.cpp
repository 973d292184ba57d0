// H5File over the HDF5 C++ API: every call is wrapped so that a failure is one gat::Error line.
#include "data/h5_file.h"

#include <H5Cpp.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <utility>

#include "common/error.h"
#include "common/memory_limit.h"
#include "common/regular_file.h"

namespace gat::data {
namespace {

// The innermost message of the last failed HDF5 call on this thread. HDF5 clears its error stack
// when the next API call starts, and the C++ wrappers close handles while the exception unwinds,
// so the cause is captured when the call fails rather than where the exception is caught.
thread_local std::string last_hdf5_cause;

herr_t capture_cause(hid_t stack, void* /*client_data*/) {
  last_hdf5_cause.clear();
  H5Ewalk2(
      stack, H5E_WALK_UPWARD,
      [](unsigned depth, const H5E_error2_t* error, void*) -> herr_t {
        if (depth == 0 && error->desc) last_hdf5_cause = error->desc;
        return 1;  // the innermost entry is all we want
      },
      nullptr);
  return 0;
}

// HDF5 messages may span lines (file read errors embed a ctime() timestamp): make them one line.
std::string one_line(const std::string& text) {
  std::istringstream words(text);
  std::string out, word;
  while (words >> word) out += (out.empty() ? "" : " ") + word;
  return out;
}

// Runs HDF5 calls; an H5::Exception becomes "<where>: <action>: <HDF5 detail> (<cause>)".
// Installing the capturing handler also stops HDF5 from printing its error stack to stderr.
template <class Call>
auto h5_check(const std::string& where, const std::string& action, Call&& call) {
  H5Eset_auto2(H5E_DEFAULT, capture_cause, nullptr);
  last_hdf5_cause.clear();
  try {
    return call();
  } catch (const H5::Exception& e) {
    std::string detail = e.getDetailMsg();
    if (!last_hdf5_cause.empty()) detail += " (" + one_line(last_hdf5_cause) + ")";
    throw Error(where + ": " + action + ": " + detail);
  }
}

std::string type_name(const H5::DataType& type) {
  switch (type.getClass()) {
    case H5T_INTEGER: {
      const bool is_signed = H5Tget_sign(type.getId()) != H5T_SGN_NONE;
      return (is_signed ? "int" : "uint") + std::to_string(8 * type.getSize());
    }
    case H5T_FLOAT:
      return "float" + std::to_string(8 * type.getSize());
    case H5T_STRING:
      return "string";
    case H5T_COMPOUND:
      return "compound";
    case H5T_ENUM:
      return "enum";
    case H5T_ARRAY:
      return "array";
    case H5T_VLEN:
      return "vlen";
    case H5T_BITFIELD:
      return "bitfield";
    case H5T_OPAQUE:
      return "opaque";
    case H5T_REFERENCE:
      return "reference";
    default:
      return "an unsupported type";
  }
}

// The element types read and written, by the names type_name() gives them in a file.
constexpr std::pair<const char*, torch::Dtype> kElementTypes[] = {
    {"int8", torch::kInt8},   {"int16", torch::kInt16},     {"int32", torch::kInt32},    {"int64", torch::kInt64},
    {"uint8", torch::kUInt8}, {"float32", torch::kFloat32}, {"float64", torch::kFloat64}};

std::optional<torch::Dtype> torch_dtype(const std::string& name) {
  for (const auto& [element, dtype] : kElementTypes)
    if (name == element) return dtype;
  return std::nullopt;
}

const H5::PredType& native_type(torch::Dtype dtype, const std::string& where) {
  switch (dtype) {
    case torch::kInt8:
      return H5::PredType::NATIVE_INT8;
    case torch::kInt16:
      return H5::PredType::NATIVE_INT16;
    case torch::kInt32:
      return H5::PredType::NATIVE_INT32;
    case torch::kInt64:
      return H5::PredType::NATIVE_INT64;
    case torch::kUInt8:
      return H5::PredType::NATIVE_UINT8;
    case torch::kFloat32:
      return H5::PredType::NATIVE_FLOAT;
    case torch::kFloat64:
      return H5::PredType::NATIVE_DOUBLE;
    default:
      throw Error(where + ": cannot write elements of type " + c10::toString(dtype));
  }
}

std::vector<int64_t> dims(const H5::DataSpace& space) {
  std::vector<hsize_t> dims(space.getSimpleExtentNdims());
  space.getSimpleExtentDims(dims.data());
  return std::vector<int64_t>(dims.begin(), dims.end());
}

std::string shape_text(const std::vector<hsize_t>& dims) {
  std::string s = "[";
  for (std::size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

// Refuses, before anything is allocated, a dataset that the file does not hold in full or (for a
// whole read, `whole`) that could never fit in memory: a header alone can declare 10^12 rows in a
// file of 40 KB, and HDF5 reads chunks never written as fill values. Sizes are counted in long
// double, so no product overflows.
void check_size(const H5::DataSet& data, const std::string& type, std::size_t element_bytes, const std::string& where,
                bool whole) {
  const H5::DataSpace space = data.getSpace();
  std::vector<hsize_t> extent(space.getSimpleExtentNdims());
  space.getSimpleExtentDims(extent.data());
  long double bytes = element_bytes;
  for (const hsize_t d : extent) bytes *= d;
  const std::string declared =
      "declares shape " + shape_text(extent) + " of " + type + " (" + human_bytes(static_cast<double>(bytes)) + ")";
  const H5::DSetCreatPropList create = data.getCreatePlist();
  const H5D_layout_t layout = create.getLayout();
  if (layout == H5D_CHUNKED) {
    std::vector<hsize_t> chunk(extent.size());
    create.getChunk(static_cast<int>(chunk.size()), chunk.data());
    long double needed = 1;
    for (std::size_t i = 0; i < extent.size(); ++i) needed *= extent[i] / chunk[i] + (extent[i] % chunk[i] != 0);
    hsize_t stored = 0;
    if (H5Dget_num_chunks(data.getId(), space.getId(), &stored) < 0)  // 1.10 takes no H5S_ALL here
      throw H5::DataSetIException("H5Dget_num_chunks", "H5Dget_num_chunks failed");
    if (stored < needed) {
      char count[32];  // exact below 10^18, where a long double holds every integer
      std::snprintf(count, sizeof count, needed < 1e18L ? "%.0Lf" : "%.3Le", needed);
      throw Error(where + ": " + declared + ", but the file holds " + std::to_string(stored) + " of its " + count +
                  " chunks: expected every element written");
    }
  } else if (layout == H5D_CONTIGUOUS && create.getExternalCount() == 0) {
    const hsize_t stored = data.getStorageSize();
    if (stored < bytes)
      throw Error(where + ": " + declared + ", but the file holds " + human_bytes(static_cast<double>(stored)) +
                  " of it: expected every element written");
  }
  const int64_t memory = available_memory_bytes();
  if (whole && bytes > memory)
    throw Error(where + ": " + declared + ", more than the " + human_bytes(static_cast<double>(memory)) +
                " of memory of this machine");
}

// The dataset's elements as a torch dtype; throws for a type this reader does not handle.
torch::Dtype element_dtype(const H5::DataSet& data, const std::string& where) {
  const std::string type = type_name(data.getDataType());
  const std::optional<torch::Dtype> dtype = torch_dtype(type);
  if (!dtype) throw Error(where + ": cannot read elements of type " + type);
  return *dtype;
}

std::string object_type_name(H5O_type_t type) {
  switch (type) {
    case H5O_TYPE_GROUP:
      return "a group";
    case H5O_TYPE_DATASET:
      return "a dataset";
    case H5O_TYPE_NAMED_DATATYPE:
      return "a named datatype";
    default:
      return "an unknown object";
  }
}

std::string read_string(const H5::Attribute& attribute) {
  const H5::StrType type = attribute.getStrType();
  std::string value;
  if (type.isVariableStr()) {
    char* chars = nullptr;
    attribute.read(type, &chars);
    value = chars ? chars : "";  // an attribute created but never written holds NULL
    H5free_memory(chars);
  } else {
    std::vector<char> chars(type.getSize());
    attribute.read(type, chars.data());
    value.assign(chars.begin(), chars.end());
  }
  return value.substr(0, value.find('\0'));  // fixed-length strings are NUL-padded
}

}  // namespace

struct H5File::Impl {
  H5::H5File file;

  H5::DataSet open_dataset(const std::string& where, const std::string& path) {
    const H5O_type_t type = file.childObjType(path);
    if (type != H5O_TYPE_DATASET) throw Error(where + ": expected a dataset, got " + object_type_name(type));
    return file.openDataSet(path);
  }

  // Calls f with the group or dataset at `path` ("/" is the root group).
  template <class F>
  auto with_object(const std::string& path, F&& f) {
    if (path == "/") return f(static_cast<H5::H5Object&>(file));
    if (file.childObjType(path) == H5O_TYPE_GROUP) {
      H5::Group group = file.openGroup(path);
      return f(static_cast<H5::H5Object&>(group));
    }
    H5::DataSet dataset = file.openDataSet(path);
    return f(static_cast<H5::H5Object&>(dataset));
  }

  // The attribute `name` of `object`, or nullopt if absent; it must hold one value of `type`.
  std::optional<H5::Attribute> open_attribute(const std::string& where, const std::string& object,
                                              const std::string& name, H5T_class_t type, const std::string& expected) {
    return with_object(object, [&](H5::H5Object& o) -> std::optional<H5::Attribute> {
      if (!o.attrExists(name)) return std::nullopt;
      H5::Attribute attribute = o.openAttribute(name);
      const std::string what = where + ": attribute " + name + ": expected " + expected + ", got ";
      if (attribute.getTypeClass() != type) throw Error(what + type_name(attribute.getDataType()));
      const hssize_t count = attribute.getSpace().getSimpleExtentNpoints();
      if (count != 1) throw Error(what + std::to_string(count) + " values");
      return attribute;
    });
  }
};

H5File::H5File(const std::string& path, Mode mode) : path_(path), impl_(std::make_unique<Impl>()) {
  const bool creates = mode == Mode::kCreate || mode == Mode::kCreateInMemory;
  if (!creates) {
    std::error_code ignored;  // a status error (e.g. no permission) is reported by HDF5 below
    if (std::filesystem::status(path, ignored).type() == std::filesystem::file_type::not_found)
      throw Error(path + ": no such file");
    // Before HDF5 opens it: opening a FIFO blocks, and a directory gets HDF5's raw error stack.
    if (auto error = special_file_error(path, "an HDF5 file")) throw *error;
    if (!h5_check(path, "cannot open as HDF5", [&] { return H5::H5File::isHdf5(path); }))
      throw Error(path + ": not an HDF5 file");
  }
  const unsigned flags = mode == Mode::kRead ? H5F_ACC_RDONLY : mode == Mode::kReadWrite ? H5F_ACC_RDWR : H5F_ACC_TRUNC;
  h5_check(path, creates ? "cannot create" : "cannot open as HDF5", [&] {
    H5::FileAccPropList access;
    if (mode == Mode::kCreateInMemory) access.setCore(1 << 20, /*backing_store=*/false);
    impl_->file = H5::H5File(path, flags, H5::FileCreatPropList::DEFAULT, access);
  });
}

H5File::~H5File() = default;
H5File::H5File(H5File&&) noexcept = default;
H5File& H5File::operator=(H5File&&) noexcept = default;

bool H5File::has(const std::string& object) const {
  return h5_check(path_ + ": " + object, "cannot look up", [&] {
    // HDF5 fails rather than answers false when a parent is missing, so walk down from the root.
    for (std::size_t slash = object.find('/', 1); slash != std::string::npos; slash = object.find('/', slash + 1))
      if (!impl_->file.nameExists(object.substr(0, slash))) return false;
    return impl_->file.nameExists(object);
  });
}

std::string H5File::dtype(const std::string& dataset) const {
  const std::string where = path_ + ": " + dataset;
  return h5_check(where, "cannot read type",
                  [&] { return type_name(impl_->open_dataset(where, dataset).getDataType()); });
}

std::vector<int64_t> H5File::shape(const std::string& dataset) const {
  const std::string where = path_ + ": " + dataset;
  return h5_check(where, "cannot read shape", [&] { return dims(impl_->open_dataset(where, dataset).getSpace()); });
}

torch::Tensor H5File::read(const std::string& dataset) const {
  const std::string where = path_ + ": " + dataset;
  return h5_check(where, "cannot read", [&] {
    const H5::DataSet data = impl_->open_dataset(where, dataset);
    const torch::Dtype dtype = element_dtype(data, where);
    check_size(data, type_name(data.getDataType()), c10::elementSize(dtype), where, /*whole=*/true);
    torch::Tensor out = torch::empty(dims(data.getSpace()), dtype);
    // One bulk read; HDF5 converts the file's byte order to the native one.
    if (out.numel() > 0) data.read(out.data_ptr(), native_type(dtype, where));
    return out;
  });
}

void H5File::check_stored(const std::string& dataset) const {
  const std::string where = path_ + ": " + dataset;
  h5_check(where, "cannot read", [&] {
    const H5::DataSet data = impl_->open_dataset(where, dataset);
    const torch::Dtype dtype = element_dtype(data, where);
    check_size(data, type_name(data.getDataType()), c10::elementSize(dtype), where, /*whole=*/false);
  });
}

torch::Tensor H5File::read_slab(const std::string& dataset, const std::vector<int64_t>& start,
                                const std::vector<int64_t>& count) const {
  const std::string where = path_ + ": " + dataset;
  return h5_check(where, "cannot read", [&] {
    const H5::DataSet data = impl_->open_dataset(where, dataset);
    const torch::Dtype dtype = element_dtype(data, where);
    torch::Tensor out = torch::empty(count, dtype);
    if (out.numel() == 0) return out;
    const std::vector<hsize_t> offset(start.begin(), start.end()), extent(count.begin(), count.end());
    H5::DataSpace file_space = data.getSpace();
    file_space.selectHyperslab(H5S_SELECT_SET, extent.data(), offset.data());
    const H5::DataSpace memory_space(static_cast<int>(extent.size()), extent.data());
    data.read(out.data_ptr(), native_type(dtype, where), memory_space, file_space);
    return out;
  });
}

std::optional<std::string> H5File::string_attribute(const std::string& object, const std::string& name) const {
  const std::string where = path_ + ": " + object;
  return h5_check(where, "cannot read attribute " + name, [&]() -> std::optional<std::string> {
    const auto attribute = impl_->open_attribute(where, object, name, H5T_STRING, "a string");
    if (!attribute) return std::nullopt;
    return read_string(*attribute);
  });
}

std::optional<int64_t> H5File::int_attribute(const std::string& object, const std::string& name) const {
  const std::string where = path_ + ": " + object;
  return h5_check(where, "cannot read attribute " + name, [&]() -> std::optional<int64_t> {
    const auto attribute = impl_->open_attribute(where, object, name, H5T_INTEGER, "an integer");
    if (!attribute) return std::nullopt;
    int64_t value = 0;
    attribute->read(H5::PredType::NATIVE_INT64, &value);
    return value;
  });
}

void H5File::create_group(const std::string& group) {
  h5_check(path_ + ": " + group, "cannot create group", [&] { impl_->file.createGroup(group); });
}

void H5File::write(const std::string& dataset, const torch::Tensor& tensor) {
  const std::string where = path_ + ": " + dataset;
  const torch::Tensor t = tensor.cpu().contiguous();
  std::vector<hsize_t> shape(t.sizes().begin(), t.sizes().end());
  h5_check(where, "cannot write", [&] {
    const H5::PredType& type = native_type(t.scalar_type(), where);
    const H5::DataSpace space(static_cast<int>(shape.size()), shape.data());
    const H5::DataSet data = impl_->file.createDataSet(dataset, type, space);
    if (t.numel() > 0) data.write(t.data_ptr(), type);
  });
}

std::string H5File::image() const {
  return h5_check(path_, "cannot make the file's image", [&] {
    impl_->file.flush(H5F_SCOPE_LOCAL);
    const ssize_t size = H5Fget_file_image(impl_->file.getId(), nullptr, 0);
    std::string bytes(size > 0 ? size : 0, '\0');
    if (size < 0 || H5Fget_file_image(impl_->file.getId(), bytes.data(), bytes.size()) != size)
      throw H5::FileIException("H5Fget_file_image", "H5Fget_file_image failed");
    return bytes;
  });
}

void H5File::write_attribute(const std::string& object, const std::string& name, const std::string& value,
                             StringType type) {
  h5_check(path_ + ": " + object, "cannot write attribute " + name, [&] {
    // Like numpy's bytes_: exactly as long as the value, NUL-padded (HDF5 needs a size >= 1).
    H5::StrType string_type(H5::PredType::C_S1,
                            type == StringType::kVariable ? H5T_VARIABLE : std::max<std::size_t>(value.size(), 1));
    if (type == StringType::kFixed) string_type.setStrpad(H5T_STR_NULLPAD);
    string_type.setCset(H5T_CSET_UTF8);  // as h5py writes str
    impl_->with_object(object, [&](H5::H5Object& o) {
      const H5::Attribute attribute = o.createAttribute(name, string_type, H5::DataSpace(H5S_SCALAR));
      if (type == StringType::kVariable)
        attribute.write(string_type, value);
      else
        attribute.write(string_type, value.c_str());
    });
  });
}

void H5File::write_attribute(const std::string& object, const std::string& name, int64_t value) {
  h5_check(path_ + ": " + object, "cannot write attribute " + name, [&] {
    impl_->with_object(object, [&](H5::H5Object& o) {
      o.createAttribute(name, H5::PredType::NATIVE_INT64, H5::DataSpace(H5S_SCALAR))
          .write(H5::PredType::NATIVE_INT64, &value);
    });
  });
}

}  // namespace gat::data
