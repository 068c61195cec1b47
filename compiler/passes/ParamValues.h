// Reading and writing the bound values of `res.param` symbols from passes:
// values come out as doubles so folding arithmetic runs in double precision,
// and go back as f32 dense elements, the form the rest of resc reads.
#ifndef RESC_COMPILER_PASSES_PARAMVALUES_H
#define RESC_COMPILER_PASSES_PARAMVALUES_H

#include "dialect/ResDialect.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/SmallPtrSet.h"

#include <optional>
#include <string>
#include <vector>

namespace res {

/// Marks a param made by res-fold-layernorm; the value is the norm's layer
/// name. (res-fold-bn's mark is kFoldedBatchNormAttr in ResDialect.h.)
constexpr llvm::StringLiteral kFoldedLayerNormAttr = "res.folded_ln";

/// The `res.param` that `weight` reads, or null.
ParamOp lookupParam(WeightOp weight);

/// The param read by the `res.weight` that defines `value`, or null when the
/// value comes from something else (a function argument in hand-written IR).
ParamOp paramOf(mlir::Value value);

/// The bound value of `param` as doubles in C order, or nullopt when the
/// parameter is supplied at run time (or bound to a kind of attribute the
/// passes do not read).
std::optional<std::vector<double>> boundValues(ParamOp param);

/// The bound value of the parameter behind `value` (see paramOf).
std::optional<std::vector<double>> boundValues(mlir::Value value);

/// Whether `value` is read from a bound parameter whose elements are all 0.
bool isBoundZero(mlir::Value value);

/// The params of one module by name, for a pass that looks up or creates
/// many: one symbol table for the whole pass, where paramOf and a fresh
/// table per created param scan the module each time (quadratic on
/// ResNet-1001's thousands of params).
class ParamTable {
public:
  explicit ParamTable(mlir::ModuleOp module)
      : module(module), symbols(module) {}

  /// As the free paramOf, from the table.
  ParamOp paramOf(mlir::Value value) const;

  /// Declares a new bound parameter of `type` holding `values` (rounded to
  /// f32) next to `near`, named `base` or, when that is taken, `base.1`,
  /// `base.2`, ... Returns the new op, which the table then knows.
  ParamOp createBoundParam(ParamOp near, llvm::StringRef base,
                           mlir::RankedTensorType type,
                           llvm::ArrayRef<double> values, bool buffer = false);

private:
  mlir::ModuleOp module;
  mlir::SymbolTable symbols;
};

/// A `res.weight` of `param` at the builder's insertion point.
WeightOp createWeight(mlir::OpBuilder &builder, mlir::Location loc,
                      ParamOp param);

/// Erases the `res.weight` that defines `value` when nothing reads it any
/// more, and adds its param to `maybeUnused` (for eraseUnusedParams). Does
/// nothing for a null value or one defined otherwise.
void eraseWeightReadIfUnused(
    mlir::Value value, llvm::SmallPtrSetImpl<mlir::Operation *> &maybeUnused);

/// A copy of `layer` (a `res.conv2d` or `res.dense`) at the builder's
/// insertion point that reads `input`, `weight` and `bias` (may be null)
/// instead of its own, with its attributes; returns its result.
mlir::Value rebuildLayer(mlir::OpBuilder &builder, mlir::Location loc,
                         mlir::Operation *layer, mlir::Value input,
                         mlir::Value weight, mlir::Value bias);

/// Erases the params in `candidates` that no `res.weight` of `module` reads
/// any more; returns how many were erased.
unsigned
eraseUnusedParams(mlir::ModuleOp module,
                  const llvm::SmallPtrSetImpl<mlir::Operation *> &candidates);

/// Erases every param of `module` that nothing reads.
unsigned eraseAllUnusedParams(mlir::ModuleOp module);

/// The op's `layer` name, or a generic name when it has none, for remarks.
std::string layerName(mlir::Operation *op);

} // namespace res

#endif
