// From the res dialect to a plan of Halide kernel calls (Plan.h).
//
// Fusion decisions, made here once for every backend schedule:
//  * A conv or dense followed by a batch norm (its only use) takes the
//    norm into its weights and bias (WeightPacking.cpp).
//  * After that, a chain of single-use pointwise consumers becomes the
//    kernel's epilogue: unfolded batch norms (scale/shift), activations,
//    `add` (when the other operand is computed before the producer), and
//    the sum of a residual block when the producer ends the block's branch
//    (the shortcut is lowered first for that reason), followed by the
//    block's `after` activation. The chain continues past the block into
//    the enclosing block, so conv -> BN -> residual sum -> relu is one
//    kernel.
//  * Pointwise ops that no producer absorbed start an elementwise kernel
//    and absorb their own consumers the same way.
//  * Pools, upsample, concat, softmax and flatten are kernels of their own.
//  * A tied `repeat` lowers its body once, as a loop step.
#ifndef RESC_COMPILER_CODEGEN_LOWERING_H
#define RESC_COMPILER_CODEGEN_LOWERING_H

#include "compiler/codegen/Plan.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace res {
namespace codegen {

struct LowerOptions {
  /// The kernels are for a CPU: algorithms that only have CPU schedules
  /// (the Winograd convolution) may be chosen.
  bool cpu = true;
};

/// Fills `plan` (slots, steps, distinct kernel descriptions, parameter
/// recipes) from `fn`, then plans its memory. Ops or shapes the backend
/// cannot lower are reported as diagnostics at the op.
mlir::LogicalResult lowerToPlan(mlir::func::FuncOp fn, Plan &plan,
                                const LowerOptions &options = {});

} // namespace codegen
} // namespace res

#endif
