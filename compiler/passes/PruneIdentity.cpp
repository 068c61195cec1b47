// res-prune-identity: removes residual blocks whose branch contributes
// nothing (exactly, or within a user-given gain threshold); see Passes.td.
#include "compiler/passes/BlockRewrites.h"
#include "compiler/passes/LipschitzBound.h"
#include "compiler/passes/ParamValues.h"
#include "compiler/passes/Passes.h"
#include "compiler/passes/ValueFacts.h"

#include "mlir/IR/PatternMatch.h"

#include <cmath>

using namespace mlir;

namespace res {
#define GEN_PASS_DEF_PRUNEIDENTITY
#include "compiler/passes/Passes.h.inc"
} // namespace res

namespace res {
namespace {

struct PruneIdentityPass : public impl::PruneIdentityBase<PruneIdentityPass> {
  using PruneIdentityBase::PruneIdentityBase;
  void runOnOperation() override;
};

void PruneIdentityPass::runOnOperation() {
  if (!(threshold >= 0)) {
    getOperation().emitError("res-prune-identity: threshold must be at least "
                             "0, got ")
        << threshold;
    return signalPassFailure();
  }
  // Inner blocks first, so an outer branch sees its inner blocks pruned.
  SmallVector<ResidualOp> blocks;
  getOperation().walk([&](ResidualOp op) { blocks.push_back(op); });

  LipschitzAnalysis analysis; // certified bounds: pruning must be sound
  IRRewriter rewriter(&getContext());
  llvm::SmallPtrSet<Operation *, 16> maybeUnused;
  for (ResidualOp block : blocks) {
    std::string name = layerName(block);
    double h = block.getBranchScale().convertToDouble();
    double a = block.getOutputScale().convertToDouble();
    auto yield = cast<YieldOp>(block.getBranch().front().getTerminator());

    std::string why;
    double bound = 0;
    if (h == 0) {
      why = "branch_scale is 0";
    } else if (isProvablyZero(yield.getValue(), &why)) {
      // `why` names the op that zeroes the branch.
    } else if (threshold > 0) {
      bound = std::abs(h) * analysis.regionBound(block.getBranch());
      if (!(bound <= threshold)) {
        block.emitRemark() << "block '" << name << "' kept: branch gain bound "
                           << formatBound(bound) << " is above the threshold "
                           << formatBound(threshold);
        continue;
      }
      std::string offset;
      if (!mapsZeroToZero(block.getBranch(), &offset)) {
        block.emitRemark() << "block '" << name << "' kept: branch gain bound "
                           << formatBound(bound)
                           << " is within the threshold, but " << offset
                           << ", so the bound does not bound its output";
        continue;
      }
      why = "gain bound |branch_scale| * L = " + formatBound(bound) +
            " <= threshold " + formatBound(threshold);
    } else {
      continue;
    }

    if (a != 1) {
      block.emitRemark() << "block '" << name << "' kept although its branch "
                         << "is negligible (" << why << "): output_scale "
                         << formatBound(a)
                         << " cannot be applied outside a block";
      continue;
    }
    block.emitRemark() << "pruned block '" << name << "': " << why << "; bound "
                       << formatBound(bound);
    block.getBranch().walk([&](WeightOp w) {
      if (ParamOp p = lookupParam(w))
        maybeUnused.insert(p);
    });
    replaceByShortcut(rewriter, block);
    ++numPruned;
  }
  eraseUnusedParams(getOperation(), maybeUnused);
}

} // namespace
} // namespace res
