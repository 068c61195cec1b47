// The .res frontend: lexing, parsing, semantic checks with shape inference,
// and emission of the res dialect with every op at its .res source location.
#ifndef RESC_FRONTEND_FRONTEND_H
#define RESC_FRONTEND_FRONTEND_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/SourceMgr.h"

#include <cstdint>
#include <string>

namespace res {

/// Larger source files are refused (documented in docs/language.md).
constexpr size_t kMaxSourceBytes = size_t(64) << 20;

/// Default of FrontendOptions::maxMemoryBytes (16 GiB; docs/security.md).
constexpr uint64_t kDefaultMaxMemoryBytes = uint64_t(16) << 30;

/// Default of FrontendOptions::maxOps: operations in one model after
/// expanding repeats (docs/security.md).
constexpr int64_t kMaxOps = 2000000;

struct FrontendOptions {
  /// Which `model` to compile when the file has several; empty means the
  /// only one (an error if there are several).
  std::string modelName;
  /// A model whose tensors (weights plus every intermediate result, at batch
  /// 1) need more bytes than this is refused; 0 means no limit.
  uint64_t maxMemoryBytes = kDefaultMaxMemoryBytes;
  /// A model with more operations than this, after expanding repeats, is
  /// refused as soon as elaboration passes it. The default admits models
  /// far beyond any real network; embedders that check untrusted text under
  /// a time budget (the fuzzer) lower it.
  int64_t maxOps = kMaxOps;
};

/// The bytes the tensors of `module` need at batch 1: every result of every
/// op (parameters included), a dynamic dim counted as 1. Saturates at
/// UINT64_MAX rather than wrapping, whatever the shapes.
struct TensorMemory {
  uint64_t weights = 0, activations = 0;
  uint64_t total() const;
};
TensorMemory estimateTensorMemory(mlir::ModuleOp module);

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
