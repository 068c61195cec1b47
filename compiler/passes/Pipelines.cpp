// The -O levels (see Pipelines.h).
#include "compiler/passes/Pipelines.h"
#include "compiler/passes/Passes.h"

#include "mlir/Pass/PassRegistry.h"

namespace res {

void buildResPipeline(mlir::OpPassManager &pm, int optLevel) {
  if (optLevel <= 0)
    return;
  pm.addPass(createSimplify());
  pm.addPass(createFoldBatchNorm());
  if (optLevel == 1)
    return;
  // Before pruning, which then sees the folded dense layers, and before
  // fusion, which fuses into the rebuilt layers.
  pm.addPass(createFoldLayerNorm());
  // Pruning after folding sees zero-init batch norms folded into zero
  // convolution weights as well as unfolded ones.
  pm.addPass(createPruneIdentity());
  // Fusion flattens the blocks it fuses, so it comes after the block-level
  // passes.
  pm.addPass(createFuseSkipAdd());
  pm.addPass(createSimplify());
}

void registerResPipelines() {
  for (int level = 0; level <= 2; ++level) {
    static const char *const descriptions[] = {
        "resc -O0: no optimisation", "resc -O1: res-simplify, res-fold-bn",
        "resc -O2: res-simplify, res-fold-bn, res-fold-layernorm, "
        "res-prune-identity, "
        "res-fuse-skip-add, res-simplify"};
    mlir::PassPipelineRegistration<>(
        "res-O" + std::to_string(level), descriptions[level],
        [level](mlir::OpPassManager &pm) { buildResPipeline(pm, level); });
  }
}

} // namespace res
