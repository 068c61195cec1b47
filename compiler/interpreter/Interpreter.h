// The reference interpreter: plain loops over the res dialect, forward pass
// in inference mode, on the CPU. It is the oracle of every numeric test, so
// it favours being obviously correct over being fast.
#ifndef RESC_COMPILER_INTERPRETER_INTERPRETER_H
#define RESC_COMPILER_INTERPRETER_INTERPRETER_H

#include "resc/Safetensors.h"
#include "resc/Tensor.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include <vector>

namespace res {

/// Runs `fn` (a model function of the res dialect) on `inputs`, one per
/// function argument in order. Parameters come from the `value` of bound
/// `res.param` ops, otherwise from `params` by symbol name. Errors (a
/// missing parameter, an input whose shape does not match the function's
/// type) are emitted as MLIR diagnostics at the offending op or function and
/// give failure.
mlir::FailureOr<std::vector<resc::Tensor>>
interpret(mlir::func::FuncOp fn, const std::vector<resc::Tensor> &inputs,
          const resc::TensorMap &params);

} // namespace res

#endif
