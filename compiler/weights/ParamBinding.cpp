// Parameter collection and safetensors binding (see ParamBinding.h).
#include "compiler/weights/ParamBinding.h"

#include "format/WeightBinding.h"

#include "mlir/IR/BuiltinAttributes.h"

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
                         const std::string &fileLabel, resc::TensorMap &out,
                         bool strict) {
  std::vector<resc::format::WantedParam> wanted;
  resc::format::WeightCheckOptions options;
  options.strict = strict;
  options.nonStrictHint = "--non-strict ignores them";
  for (const ParamInfo &param : params) {
    if (param.bound)
      options.known.insert(param.name);
    else
      wanted.push_back({param.name, param.shape});
  }
  resc::format::WeightCheck check =
      resc::format::checkWeights(wanted, file, otherDtypes, fileLabel, options);
  BindingResult result;
  result.errors = std::move(check.errors);
  result.ignoredKeys = std::move(check.ignoredKeys);
  if (!result.ok())
    return result;
  for (const resc::format::WantedParam &p : wanted)
    out[p.name] = std::move(file.at(p.name));
  return result;
}

BindingResult bindParamsFromFile(const std::vector<ParamInfo> &params,
                                 const std::string &path, resc::TensorMap &out,
                                 bool strict) {
  resc::TensorMap file;
  std::map<std::string, std::string> otherDtypes;
  std::string error;
  if (!resc::readSafetensors(path, file, otherDtypes, error)) {
    BindingResult result;
    result.errors.push_back(error);
    return result;
  }
  return bindParams(params, file, otherDtypes, path, out, strict);
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
