// Bound parameter values for the passes (see ParamValues.h).
#include "compiler/passes/ParamValues.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/StringSet.h"

using namespace mlir;

namespace res {

ParamOp lookupParam(WeightOp weight) {
  return SymbolTable::lookupNearestSymbolFrom<ParamOp>(weight,
                                                       weight.getParamAttr());
}

ParamOp paramOf(Value value) {
  auto weight = value ? value.getDefiningOp<WeightOp>() : WeightOp();
  return weight ? lookupParam(weight) : ParamOp();
}

std::optional<std::vector<double>> boundValues(ParamOp param) {
  if (!param)
    return std::nullopt;
  Attribute value = param.getValueAttr();
  std::vector<double> out;
  if (auto dense = dyn_cast_or_null<DenseFPElementsAttr>(value)) {
    if (!dense.getElementType().isF32())
      return std::nullopt;
    out.reserve(dense.getNumElements());
    for (float v : dense.getValues<float>())
      out.push_back(v);
    return out;
  }
  // Large weights may come as dense_resource blobs; a missing blob counts as
  // unbound rather than as an error here, the interpreter reports it.
  if (auto resource = dyn_cast_or_null<DenseF32ResourceElementsAttr>(value)) {
    auto data = resource.tryGetAsArrayRef();
    auto type = cast<RankedTensorType>(param.getType());
    if (!data || static_cast<int64_t>(data->size()) != type.getNumElements())
      return std::nullopt;
    out.assign(data->begin(), data->end());
    return out;
  }
  return std::nullopt;
}

std::optional<std::vector<double>> boundValues(Value value) {
  return boundValues(paramOf(value));
}

bool isBoundZero(Value value) {
  auto values = boundValues(value);
  return values && llvm::all_of(*values, [](double v) { return v == 0; });
}

ParamOp ParamTable::paramOf(Value value) const {
  auto weight = value ? value.getDefiningOp<WeightOp>() : WeightOp();
  return weight ? symbols.lookup<ParamOp>(weight.getParam()) : ParamOp();
}

ParamOp ParamTable::createBoundParam(ParamOp near, StringRef base,
                                     RankedTensorType type,
                                     ArrayRef<double> values, bool buffer) {
  std::string name = base.str();
  for (unsigned i = 1; symbols.lookup(name); ++i)
    name = (base + "." + llvm::Twine(i)).str();
  std::vector<float> f32(values.begin(), values.end());
  OpBuilder builder(module.getContext());
  if (near)
    builder.setInsertionPointAfter(near);
  else
    builder.setInsertionPointToStart(module.getBody());
  auto param = builder.create<ParamOp>(
      near ? near.getLoc() : module.getLoc(), builder.getStringAttr(name),
      TypeAttr::get(type), DenseElementsAttr::get(type, ArrayRef<float>(f32)),
      buffer ? builder.getUnitAttr() : UnitAttr());
  // Already in the module's body under a free name: insert only records it.
  symbols.insert(param);
  return param;
}

WeightOp createWeight(OpBuilder &builder, Location loc, ParamOp param) {
  return builder.create<WeightOp>(
      loc, param.getType(), FlatSymbolRefAttr::get(param.getSymNameAttr()));
}

void eraseWeightReadIfUnused(Value value,
                             llvm::SmallPtrSetImpl<Operation *> &maybeUnused) {
  if (!value)
    return;
  if (auto weight = value.getDefiningOp<WeightOp>();
      weight && weight.use_empty()) {
    if (ParamOp param = lookupParam(weight))
      maybeUnused.insert(param);
    weight.erase();
  }
}

Value rebuildLayer(OpBuilder &builder, Location loc, Operation *layer,
                   Value input, Value weight, Value bias) {
  Type type = layer->getResult(0).getType();
  if (auto conv = dyn_cast<Conv2DOp>(layer))
    return builder.create<Conv2DOp>(loc, type, input, weight, bias,
                                    conv.getStrideAttr(), conv.getPaddingAttr(),
                                    conv.getDilationAttr(),
                                    conv.getGroupsAttr(), conv.getLayerAttr());
  auto dense = cast<DenseOp>(layer);
  return builder.create<DenseOp>(loc, type, input, weight, bias,
                                 dense.getLayerAttr());
}

/// Names of the params that some `res.weight` of `module` reads.
static llvm::StringSet<> readParams(ModuleOp module) {
  llvm::StringSet<> names;
  module.walk([&](WeightOp w) { names.insert(w.getParam()); });
  return names;
}

unsigned
eraseUnusedParams(ModuleOp module,
                  const llvm::SmallPtrSetImpl<Operation *> &candidates) {
  if (candidates.empty())
    return 0;
  llvm::StringSet<> used = readParams(module);
  unsigned erased = 0;
  for (auto param : llvm::make_early_inc_range(module.getOps<ParamOp>()))
    if (candidates.contains(param) && !used.contains(param.getSymName())) {
      param.erase();
      ++erased;
    }
  return erased;
}

unsigned eraseAllUnusedParams(ModuleOp module) {
  llvm::StringSet<> used = readParams(module);
  unsigned erased = 0;
  for (auto param : llvm::make_early_inc_range(module.getOps<ParamOp>()))
    if (!used.contains(param.getSymName())) {
      param.erase();
      ++erased;
    }
  return erased;
}

std::string layerName(Operation *op) {
  if (auto layer = op->getAttrOfType<StringAttr>("layer"))
    return layer.str();
  return op->getName().getStringRef().str();
}

} // namespace res
