// Helpers of the pass tests: compile an example, bind seeded weights with
// non-trivial batch-norm statistics, run pipelines and the interpreter.
#ifndef RESC_TESTS_PASSES_PASSTESTUTIL_H
#define RESC_TESTS_PASSES_PASSTESTUTIL_H

#include "resc/Safetensors.h"
#include "resc/Tensor.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Pass/PassManager.h"

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace res::testing {

/// A context with the dialects loaded whose diagnostics (remarks of the
/// passes, frontend warnings) are collected instead of printed.
class QuietContext {
public:
  QuietContext();
  ~QuietContext();
  mlir::MLIRContext &get() { return context; }
  /// Messages of every diagnostic seen so far, "remark: ..." etc.
  std::vector<std::string> messages;

private:
  mlir::MLIRContext context;
  mlir::DiagnosticEngine::HandlerID handler;
};

/// Compiles examples/NAME.res after replacing each `first` of
/// `replacements` by its `second` in the source (to shrink input sizes).
mlir::OwningOpRef<mlir::ModuleOp> compileExample(
    mlir::MLIRContext &context, const std::string &name,
    const std::vector<std::pair<std::string, std::string>> &replacements = {});

/// The model function of `module`.
mlir::func::FuncOp modelFunction(mlir::ModuleOp module);

/// Seeded parameters (as `resc init-weights`), then batch norms made
/// non-trivial: running_mean ~ N(0, 0.1), running_var ~ U(0.5, 2), weight
/// ~ U(0.5, 1.5), bias ~ N(0, 0.1); conv and dense biases ~ N(0, 0.1).
/// `edit` may change the values before they are returned.
resc::TensorMap
randomWeights(mlir::ModuleOp module, uint64_t seed,
              const std::function<void(resc::TensorMap &)> &edit = {});

/// Stores `values` as the bound values of the module's parameters.
void bindValues(mlir::ModuleOp module, const resc::TensorMap &values);

/// Seeded inputs for every argument, with dynamic dims set to `batch`.
std::vector<resc::Tensor> seededInputs(mlir::func::FuncOp fn, uint64_t seed,
                                       int64_t batch = 1);

/// Runs the interpreter; fails the test on error.
std::vector<resc::Tensor> interpret(mlir::ModuleOp module,
                                    const std::vector<resc::Tensor> &inputs,
                                    const resc::TensorMap &params = {});

/// Runs `build`'s pipeline on `module`; false if a pass failed.
bool runPipeline(mlir::ModuleOp module,
                 const std::function<void(mlir::OpPassManager &)> &build);

/// max |a - b| / max |expected| over all elements of all outputs (0 when
/// both are all zero); +inf when the shapes differ.
double relativeError(const std::vector<resc::Tensor> &expected,
                     const std::vector<resc::Tensor> &actual);

/// How many ops named `name` (e.g. "res.batch_norm") the module holds.
int countOps(mlir::ModuleOp module, llvm::StringRef name);

} // namespace res::testing

#endif
