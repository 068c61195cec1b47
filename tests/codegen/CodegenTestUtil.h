// Compiles models (from .res text or MLIR text) with the JIT engine and
// checks them against the reference interpreter, with seeded parameters and
// inputs. One kernel cache is shared by every test of a process, so kernels
// common to several tests (the layout conversions above all) compile once.
#ifndef RESC_TESTS_CODEGEN_CODEGENTESTUTIL_H
#define RESC_TESTS_CODEGEN_CODEGENTESTUTIL_H

#include "compiler/codegen/JitModel.h"
#include "compiler/codegen/KernelCache.h"

#include "resc/Tensor.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace res::codegen::testing {

std::shared_ptr<KernelCache> sharedCache();

struct Model {
  std::unique_ptr<mlir::MLIRContext> context;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  /// Every diagnostic emitted while parsing, compiling and running.
  std::string diagnostics;
  std::unique_ptr<mlir::ScopedDiagnosticHandler> handler;

  mlir::func::FuncOp function();
  /// The batch-free shape of input `i`.
  std::vector<int64_t> inputDims(unsigned i = 0);
};

/// A .res model through the frontend; the test fails if it does not compile.
std::unique_ptr<Model> fromRes(const std::string &text);
std::unique_ptr<Model> fromResFile(const std::string &path);
/// A module in MLIR syntax.
std::unique_ptr<Model> fromMlir(const std::string &text);

/// Seeded values for every parameter without a bound value, scaled so that
/// activations stay of order one through deep residual stacks: conv and
/// dense weights N(0, 1/fan_in), BN running_var in [0.5, 1.5), other
/// vectors near their neutral value.
resc::TensorMap seededParams(mlir::ModuleOp module, uint64_t seed = 7);
resc::Tensor seededTensor(const std::vector<int64_t> &shape,
                          const std::string &name, uint64_t seed = 7);

/// max |got - want| / max |want|, the measure; infinity when the
/// shapes differ.
double relativeError(const resc::Tensor &got, const resc::Tensor &want);

/// Compiles `model` once (sharing the test cache) and compares the JIT with
/// the interpreter at each batch size, to `tolerance`.
void expectMatchesInterpreter(Model &model,
                              const std::vector<int64_t> &batches = {1, 3},
                              double tolerance = 1e-4);

/// The schedule of each kernel `model` compiles to (sharing the test cache).
std::vector<std::string> kernelSchedules(Model &model);

} // namespace res::codegen::testing

#endif
