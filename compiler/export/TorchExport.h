// `resc emit --format torch`: the model as a self-contained Python module
// that defines it as a torch.nn.Module, so a model written for resc runs in
// PyTorch (and, through torch.onnx.export, in ONNX Runtime) with the same
// weights. Its state_dict keys are resc's parameter names, which already
// follow PyTorch's naming, so a safetensors file for resc loads into it with
// strict=True; the module carries its own safetensors reader (numpy only).
#ifndef RESC_COMPILER_EXPORT_TORCHEXPORT_H
#define RESC_COMPILER_EXPORT_TORCHEXPORT_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

namespace resc::emit {

/// Writes the Python module for `model` (a function of `module`) to `os`.
/// An op with no PyTorch translation is an error diagnostic at the op and
/// gives false; nothing useful is written then.
bool emitTorchModule(mlir::ModuleOp module, mlir::func::FuncOp model,
                     llvm::raw_ostream &os);

} // namespace resc::emit

#endif
