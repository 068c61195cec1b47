// Loading a model for a resc subcommand: a `.res` file through the frontend
// or a `.mlir` file through MLIR's parser, then verification and the choice
// of the model function. Diagnostics print as `file:line:col: error: ...`
// with the source line and a caret; problems that have no place in a file
// (an unreadable path, an interpreter error without a location) print as
// `resc: error: ...`, like the CLI's own errors.
#ifndef RESC_COMPILER_DRIVER_LOADMODEL_H
#define RESC_COMPILER_DRIVER_LOADMODEL_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/SourceMgr.h"

#include "frontend/Diagnostics.h"
#include "frontend/Frontend.h"

#include "resc/Tensor.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace resc::driver {

/// `resc: error: MESSAGE` on stderr.
void reportError(const llvm::Twine &message);
/// `resc: warning: MESSAGE` on stderr.
void reportWarning(const llvm::Twine &message);

/// Binds the unbound parameters of `module` from the safetensors file
/// `path` into `out`, reporting every problem (the first 20, then a count);
/// with `verbose`, lists the keys it ignored. `strict`: a tensor the model
/// does not have is an error (docs/weights.md); --non-strict turns it off.
bool loadWeights(mlir::ModuleOp module, const std::string &path, bool strict,
                 bool verbose, std::map<std::string, resc::Tensor> &out);

/// The weights of `path` (as loadWeights) or, when `path` is empty, seeded
/// ones from `seed` (docs/weights.md); errors are reported.
bool loadOrSeedWeights(mlir::ModuleOp module, const std::string &path,
                       bool strict, uint64_t seed, bool verbose,
                       std::map<std::string, resc::Tensor> &out);

/// One loaded model and everything its diagnostics refer to; keep it alive
/// while anything (a pass, the interpreter) may still emit diagnostics.
class ModelSession {
public:
  ModelSession();
  ~ModelSession();

  /// Loads `path` (`.res`, `.mlir` or `.mlirbc`) and picks the model
  /// `modelName` (empty: the only one). Reports every problem; returns false
  /// on any. A .res model whose tensors need more than `maxMemoryBytes`
  /// (0: no limit) is refused.
  bool load(const std::string &path, const std::string &modelName,
            uint64_t maxMemoryBytes = res::kDefaultMaxMemoryBytes);

  mlir::MLIRContext &context() { return context_; }
  mlir::ModuleOp module() { return *module_; }
  mlir::func::FuncOp model() { return model_; }
  res::DiagnosticPrinter &diagnostics() { return *printer_; }

private:
  mlir::MLIRContext context_;
  llvm::SourceMgr sourceMgr_;
  std::unique_ptr<res::DiagnosticPrinter> printer_;
  mlir::OwningOpRef<mlir::ModuleOp> module_;
  mlir::func::FuncOp model_;
};

/// The DSL name of input `index` (its `res.name`), or `input<index>`.
std::string inputName(mlir::func::FuncOp model, unsigned index);
/// The DSL name of result `index` (its `res.name`), or `output<index>`.
std::string outputName(mlir::func::FuncOp model, unsigned index);

/// Dims of a ranked tensor type with dynamic dims as -1.
std::vector<int64_t> typeDims(mlir::Type type);

/// "[N, 3, 32, 32]": a dynamic first dim is the batch, shown as `batch`
/// (e.g. "N"); other dynamic dims are "?".
std::string formatShape(const std::vector<int64_t> &dims,
                        const std::string &batch = "N");

/// 11689512 -> "11,689,512".
std::string withCommas(int64_t value);

} // namespace resc::driver

#endif
