// The interpreter's execution of the training ops, kept apart from the
// forward ops' dispatch in Interpreter.cpp.
#ifndef RESC_COMPILER_INTERPRETER_GRADOPS_H
#define RESC_COMPILER_INTERPRETER_GRADOPS_H

#include "dialect/ResDialect.h"
#include "resc/Tensor.h"

#include "llvm/ADT/STLFunctionalExtras.h"

#include <string>

namespace res {

/// The tensor computed for an operand.
using GradOperands = llvm::function_ref<const resc::Tensor &(mlir::Value)>;

/// Runs training op `op` into `out`: false with `error` set when a kernel
/// rejects its operands; failure (a diagnostic at `op`) when `op` is not a
/// training op.
mlir::FailureOr<bool> runGradOp(mlir::Operation *op, const GradOperands &get,
                                resc::Tensor &out, std::string &error);

} // namespace res

#endif
