// res-opt: MLIR's opt driver with the res dialect and resc's passes, for
// experimenting with pass pipelines (`-pass-pipeline=...`, `-mlir-timing`,
// `-mlir-print-ir-after-all`, `-verify-diagnostics` come from MlirOptMain).
// The -O levels of resc are there as `--res-O0` .. `--res-O2`.
#include "compiler/passes/Passes.h"
#include "compiler/passes/Pipelines.h"
#include "dialect/ResDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::registerTransformsPasses();
  res::registerResPasses();
  res::registerResPipelines();
  mlir::DialectRegistry registry;
  registry.insert<res::ResDialect, mlir::func::FuncDialect>();
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "res-opt: the res dialect's pass driver\n", registry));
}
