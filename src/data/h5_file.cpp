// H5File over the HDF5 C++ API. Each call is wrapped so that HDF5's error becomes one gat::Error line.
#include "data/h5_file.h"

#include <H5Cpp.h>

#include <filesystem>

#include "common/error.h"

namespace gat::data {
namespace {

// Runs an HDF5 call; an H5::Exception becomes "<file>: <object>: <action>: <HDF5 detail>".
template <class Call>
auto h5_check(const std::string& file, const std::string& object, const char* action, Call&& call) {
  try {
    return call();
  } catch (const H5::Exception& e) {
    throw Error(file + ": " + object + ": " + action + ": " + e.getDetailMsg());
  }
}

std::string type_name(const H5::DataType& type) {
  switch (type.getClass()) {
    case H5T_INTEGER: {
      const bool is_signed = H5::IntType(type.getId()).getSign() != H5T_SGN_NONE;
      return (is_signed ? "int" : "uint") + std::to_string(8 * type.getSize());
    }
    case H5T_FLOAT: return "float" + std::to_string(8 * type.getSize());
    case H5T_STRING: return "string";
    case H5T_COMPOUND: return "compound";
    case H5T_ENUM: return "enum";
    case H5T_ARRAY: return "array";
    default: return "an unsupported type";
  }
}

// The HDF5 memory type and torch dtype for the element types the format uses.
std::optional<std::pair<H5::PredType, torch::Dtype>> mapped(const std::string& name) {
  if (name == "int64") return std::make_pair(H5::PredType::NATIVE_INT64, torch::kInt64);
  if (name == "uint8") return std::make_pair(H5::PredType::NATIVE_UINT8, torch::kUInt8);
  if (name == "float32") return std::make_pair(H5::PredType::NATIVE_FLOAT, torch::kFloat32);
  if (name == "float64") return std::make_pair(H5::PredType::NATIVE_DOUBLE, torch::kFloat64);
  return std::nullopt;
}

H5::PredType pred_type(torch::Dtype dtype) {
  switch (dtype) {
    case torch::kInt64: return H5::PredType::NATIVE_INT64;
    case torch::kUInt8: return H5::PredType::NATIVE_UINT8;
    case torch::kFloat32: return H5::PredType::NATIVE_FLOAT;
    case torch::kFloat64: return H5::PredType::NATIVE_DOUBLE;
    default: throw Error(std::string("HDF5 writer: unsupported dtype ") + c10::toString(dtype));
  }
}

}  // namespace

struct H5File::Impl {
  H5::H5File file;

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
};

H5File::H5File(const std::string& path, Mode mode) : path_(path), impl_(std::make_unique<Impl>()) {
  H5::Exception::dontPrint();  // errors are reported once, by us
  if (mode == Mode::kRead) {
    if (!std::filesystem::exists(path)) throw Error(path + ": no such file");
    if (!h5_check(path, "/", "cannot open", [&] { return H5::H5File::isHdf5(path); }))
      throw Error(path + ": not an HDF5 file");
  }
  h5_check(path, "/", "cannot open", [&] {
    impl_->file = H5::H5File(path, mode == Mode::kRead ? H5F_ACC_RDONLY : H5F_ACC_TRUNC);
    return 0;
  });
}

H5File::~H5File() = default;
H5File::H5File(H5File&&) noexcept = default;
H5File& H5File::operator=(H5File&&) noexcept = default;

bool H5File::has(const std::string& object) const {
  // Each parent must exist before its child can be asked about.
  std::size_t pos = 0;
  while ((pos = object.find('/', pos + 1)) != std::string::npos) {
    if (!h5_check(path_, object, "cannot look up", [&] { return impl_->file.nameExists(object.substr(0, pos)); }))
      return false;
  }
  return h5_check(path_, object, "cannot look up", [&] { return impl_->file.nameExists(object); });
}

std::string H5File::dtype(const std::string& dataset) const {
  return h5_check(path_, dataset, "cannot read type", [&] { return type_name(impl_->file.openDataSet(dataset).getDataType()); });
}

std::vector<int64_t> H5File::shape(const std::string& dataset) const {
  return h5_check(path_, dataset, "cannot read shape", [&] {
    const H5::DataSpace space = impl_->file.openDataSet(dataset).getSpace();
    std::vector<hsize_t> dims(space.getSimpleExtentNdims());
    space.getSimpleExtentDims(dims.data());
    return std::vector<int64_t>(dims.begin(), dims.end());
  });
}

torch::Tensor H5File::read(const std::string& dataset) const {
  const std::string type = dtype(dataset);
  const auto types = mapped(type);
  if (!types) throw Error(path_ + ": " + dataset + ": cannot read elements of type " + type);
  torch::Tensor out = torch::empty(shape(dataset), types->second);
  if (out.numel() > 0)
    h5_check(path_, dataset, "cannot read", [&] {
      impl_->file.openDataSet(dataset).read(out.data_ptr(), types->first);
      return 0;
    });
  return out;
}

std::optional<std::string> H5File::string_attribute(const std::string& object, const std::string& name) const {
  return h5_check(path_, object, ("cannot read attribute " + name).c_str(), [&]() -> std::optional<std::string> {
    return impl_->with_object(object, [&](H5::H5Object& o) -> std::optional<std::string> {
    if (!o.attrExists(name)) return std::nullopt;
    const H5::Attribute attr = o.openAttribute(name);
    if (attr.getTypeClass() != H5T_STRING)
      throw Error(path_ + ": " + object + ": attribute " + name + ": expected a string, got " +
                  type_name(attr.getDataType()));
    std::string value;
    attr.read(attr.getStrType(), value);
    return value.substr(0, value.find('\0'));  // fixed-length strings may be NUL-padded
    });
  });
}

std::optional<int64_t> H5File::int_attribute(const std::string& object, const std::string& name) const {
  return h5_check(path_, object, ("cannot read attribute " + name).c_str(), [&]() -> std::optional<int64_t> {
    return impl_->with_object(object, [&](H5::H5Object& o) -> std::optional<int64_t> {
    if (!o.attrExists(name)) return std::nullopt;
    const H5::Attribute attr = o.openAttribute(name);
    if (attr.getTypeClass() != H5T_INTEGER || attr.getSpace().getSimpleExtentNpoints() != 1)
      throw Error(path_ + ": " + object + ": attribute " + name + ": expected an integer, got " +
                  type_name(attr.getDataType()));
    int64_t value = 0;
    attr.read(H5::PredType::NATIVE_INT64, &value);
    return value;
    });
  });
}

void H5File::create_group(const std::string& group) {
  h5_check(path_, group, "cannot create group", [&] { return impl_->file.createGroup(group); });
}

void H5File::write(const std::string& dataset, const torch::Tensor& tensor) {
  const torch::Tensor t = tensor.contiguous();
  std::vector<hsize_t> dims(t.sizes().begin(), t.sizes().end());
  h5_check(path_, dataset, "cannot write", [&] {
    H5::DataSpace space(static_cast<int>(dims.size()), dims.data());
    const H5::PredType type = pred_type(t.scalar_type());
    H5::DataSet ds = impl_->file.createDataSet(dataset, type, space);
    if (t.numel() > 0) ds.write(t.data_ptr(), type);
    return 0;
  });
}

void H5File::write_attribute(const std::string& object, const std::string& name, const std::string& value) {
  h5_check(path_, object, ("cannot write attribute " + name).c_str(), [&] {
    const H5::StrType type(H5::PredType::C_S1, H5T_VARIABLE);
    return impl_->with_object(object, [&](H5::H5Object& o) {
      o.createAttribute(name, type, H5::DataSpace(H5S_SCALAR)).write(type, value);
      return 0;
    });
  });
}

void H5File::write_attribute(const std::string& object, const std::string& name, int64_t value) {
  h5_check(path_, object, ("cannot write attribute " + name).c_str(), [&] {
    return impl_->with_object(object, [&](H5::H5Object& o) {
      o.createAttribute(name, H5::PredType::NATIVE_INT64, H5::DataSpace(H5S_SCALAR))
          .write(H5::PredType::NATIVE_INT64, &value);
      return 0;
    });
  });
}

}  // namespace gat::data
