// The .res frontend: lexing, parsing, semantic checks with shape inference,
// and emission of the res dialect with every op at its .res source location.
#ifndef RESC_FRONTEND_FRONTEND_H
#define RESC_FRONTEND_FRONTEND_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/SourceMgr.h"

#include <string>

namespace res {

/// Larger source files are refused (documented in docs/language.md).
constexpr size_t kMaxSourceBytes = size_t(64) << 20;

struct FrontendOptions {
  /// Which `model` to compile when the file has several; empty means the
  /// only one (an error if there are several).
  std::string modelName;
};

/// Parses and checks the main buffer of `sourceMgr` and emits one module
/// holding the chosen model as `func.func @NAME` plus its `res.param`s.
/// Errors go through the context's diagnostic engine (attach a
/// SourceMgrDiagnosticHandler to get `file:line:col: error:` with the line
/// and a caret) and give a null module.
mlir::OwningOpRef<mlir::ModuleOp>
compileResSource(llvm::SourceMgr &sourceMgr, mlir::MLIRContext &context,
                 const FrontendOptions &options = {});

/// Loads the dialects the frontend emits into `context`.
void loadFrontendDialects(mlir::MLIRContext &context);

} // namespace res

#endif
