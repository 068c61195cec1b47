// The plan of a model as text (`resc emit --format plan`): every decision
// the backend made, in one place a reader (or a FileCheck test) can see —
// the distinct kernels with their fused epilogues, algorithm (direct or
// Winograd, in place over a residual) and schedule, the slots with their
// arena offsets (so reuse of dead tensors' memory shows), the calls in
// order and tied repeats as loops. docs/cli.md describes the format.
#ifndef RESC_COMPILER_CODEGEN_PLANPRINTER_H
#define RESC_COMPILER_CODEGEN_PLANPRINTER_H

#include "compiler/codegen/Plan.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/raw_ostream.h"

#include <Halide.h>

namespace res {
namespace codegen {

/// Prints `plan`, lowered from `fn`, with each kernel's schedule as built
/// for `target` (the Halide pipelines are defined, not compiled). A kernel
/// whose schedule cannot be built is an error diagnostic at `fn`.
mlir::LogicalResult printPlan(mlir::func::FuncOp fn, const Plan &plan,
                              const Halide::Target &target,
                              llvm::raw_ostream &os);

} // namespace codegen
} // namespace res

#endif
