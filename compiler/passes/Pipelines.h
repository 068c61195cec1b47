// The optimisation levels of resc as pass pipelines, shared by resc's `-O<n>`
// (run, bench, compile and emit, through compiler/driver/Pipeline.cpp) and
// res-opt's `--res-O0` .. `--res-O2`.
#ifndef RESC_COMPILER_PASSES_PIPELINES_H
#define RESC_COMPILER_PASSES_PIPELINES_H

#include "mlir/Pass/PassManager.h"

namespace res {

/// Adds the passes of -O`optLevel` to `pm` (anchored on the module):
///   0 (and below): nothing;
///   1: res-simplify, res-fold-bn;
///   2: res-simplify, res-fold-bn, res-prune-identity (threshold 0),
///      res-fuse-skip-add, res-simplify: everything that keeps the numerics
///      (up to f32 rounding of folded weights). res-inline-blocks is not in
///      it (docs/passes.md, "Optimisation levels").
/// Levels above 2 are treated as 2.
void buildResPipeline(mlir::OpPassManager &pm, int optLevel);

/// Registers `res-O0`, `res-O1` and `res-O2` as named pipelines.
void registerResPipelines();

} // namespace res

#endif
