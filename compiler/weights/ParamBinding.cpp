// Parameter collection and safetensors binding (see ParamBinding.h).
#include "compiler/weights/ParamBinding.h"

#include "mlir/IR/BuiltinAttributes.h"

#include <algorithm>

using namespace mlir;

namespace res {

int64_t ParamInfo::numel() const { return resc::checkedNumel(shape); }

std::vector<ParamInfo> collectParams(ModuleOp module) {
  std::vector<ParamInfo> params;
  for (auto param : module.getOps<ParamOp>()) {
    ParamInfo info;
    info.name = param.getSymName().str();
    auto type = cast<RankedTensorType>(param.getType());
    info.shape.assign(type.getShape().begin(), type.getShape().end());
    info.bound = static_cast<bool>(param.getValueAttr());
    info.buffer = param.getBuffer();
    params.push_back(std::move(info));
  }
  return params;
}

BindingResult bindParams(const std::vector<ParamInfo> &params,
                         resc::TensorMap &file,
                         const std::map<std::string, std::string> &otherDtypes,
                         const std::string &fileLabel, resc::TensorMap &out) {
  BindingResult result;
  std::map<std::string, bool> wanted;
  for (const ParamInfo &param : params) {
    if (param.bound)
      continue;
    wanted[param.name] = true;
    std::string expected = resc::shapeToString(param.shape);
    auto dtype = otherDtypes.find(param.name);
    if (dtype != otherDtypes.end()) {
      result.errors.push_back(fileLabel + ": parameter '" + param.name +
                              "' has dtype " + dtype->second +
                              " in the file, expected F32 (shape " + expected +
                              " in the model)");
      continue;
    }
    auto found = file.find(param.name);
    if (found == file.end()) {
      result.errors.push_back(fileLabel + ": parameter '" + param.name +
                              "' with shape " + expected +
                              " in the model is missing from the file");
      continue;
    }
    if (found->second.shape != param.shape) {
      result.errors.push_back(fileLabel + ": parameter '" + param.name +
                              "' has shape " + expected + " in the model but " +
                              resc::shapeToString(found->second.shape) +
                              " in the file");
      continue;
    }
    out[param.name] = std::move(found->second);
  }
  for (const auto &entry : file)
    if (!wanted.count(entry.first))
      result.ignoredKeys.push_back(entry.first);
  for (const auto &entry : otherDtypes)
    if (!wanted.count(entry.first))
      result.ignoredKeys.push_back(entry.first);
  std::sort(result.ignoredKeys.begin(), result.ignoredKeys.end());
  return result;
}

BindingResult bindParamsFromFile(const std::vector<ParamInfo> &params,
                                 const std::string &path,
                                 resc::TensorMap &out) {
  resc::TensorMap file;
  std::map<std::string, std::string> otherDtypes;
  std::string error;
  if (!resc::readSafetensors(path, file, otherDtypes, error)) {
    BindingResult result;
    result.errors.push_back(error);
    return result;
  }
  return bindParams(params, file, otherDtypes, path, out);
}

bool boundValue(ParamOp param, resc::Tensor &out, std::string &error) {
  auto type = cast<RankedTensorType>(param.getType());
  out.shape.assign(type.getShape().begin(), type.getShape().end());
  out.data.clear();
  Attribute value = param.getValueAttr();
  if (auto dense = dyn_cast_or_null<DenseFPElementsAttr>(value)) {
    out.data.reserve(dense.getNumElements());
    for (float v : dense.getValues<float>())
      out.data.push_back(v);
    return true;
  }
  if (auto resource = dyn_cast_or_null<DenseF32ResourceElementsAttr>(value)) {
    if (auto data = resource.tryGetAsArrayRef()) {
      if (static_cast<int64_t>(data->size()) == type.getNumElements()) {
        out.data.assign(data->begin(), data->end());
        return true;
      }
    }
    error = "parameter '" + param.getSymName().str() +
            "' has a dense_resource value whose blob is missing or of the "
            "wrong size";
    return false;
  }
  error = "parameter '" + param.getSymName().str() +
          (value ? "' has a value of a kind resc cannot read (expected dense "
                   "or dense_resource f32 elements)"
                 : "' has no bound value");
  return false;
}

bool attachValues(ModuleOp module, const resc::TensorMap &values,
                  std::string &error) {
  for (auto param : module.getOps<ParamOp>()) {
    auto found = values.find(param.getSymName().str());
    if (found == values.end())
      continue;
    auto type = cast<RankedTensorType>(param.getType());
    if (llvm::ArrayRef<int64_t>(found->second.shape) != type.getShape() ||
        found->second.numel() != type.getNumElements()) {
      error = "parameter '" + param.getSymName().str() + "' has shape " +
              resc::shapeToString(std::vector<int64_t>(type.getShape().begin(),
                                                       type.getShape().end())) +
              " in the model but the value given has shape " +
              resc::shapeToString(found->second.shape);
      return false;
    }
    // Dense elements rather than dense_resource: every consumer (the
    // interpreter, getValues<float>()) reads them, and the printer already
    // writes large ones as one hex string.
    param.setValueAttr(DenseElementsAttr::get(
        type, llvm::ArrayRef<float>(found->second.data)));
  }
  return true;
}

} // namespace res
