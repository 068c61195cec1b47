// The `res` dialect: types, attributes and ops of residual networks.
#ifndef RES_DIALECT_RESDIALECT_H
#define RES_DIALECT_RESDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialect/ResDialect.h.inc"
#include "dialect/ResEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialect/ResAttrs.h.inc"

#define GET_OP_CLASSES
#include "dialect/ResOps.h.inc"

namespace res {
/// Name of the argument/result attribute that keeps the DSL's input and
/// output names on the model function.
constexpr llvm::StringLiteral kNameAttr = "res.name";
/// Marks a `res.param` that res-fold-bn made by folding a batch norm into a
/// layer's weights; its value is the norm's layer name. Training from such
/// a parameter would train another model (no batch statistics), so
/// res-generate-gradients refuses it.
constexpr llvm::StringLiteral kFoldedBatchNormAttr = "res.folded_bn";
/// On the identity `res.activation` that a `dropout(p)` statement becomes:
/// its p (f64). Dropout is the identity at inference; training with p > 0
/// is not implemented, so res-generate-gradients refuses such an op and
/// res-simplify keeps it for that refusal.
constexpr llvm::StringLiteral kDropoutAttr = "res.dropout";
} // namespace res

#endif
