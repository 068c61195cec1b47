// res-inline-blocks: flattens residual blocks into plain ops (and, on
// request, tied repeats into copies of their body) once the block-level
// passes have run; see Passes.td.
#include "compiler/passes/BlockRewrites.h"
#include "compiler/passes/LipschitzBound.h"
#include "compiler/passes/ParamValues.h"
#include "compiler/passes/Passes.h"

#include "mlir/IR/PatternMatch.h"

using namespace mlir;

namespace res {
#define GEN_PASS_DEF_INLINEBLOCKS
#include "compiler/passes/Passes.h.inc"
} // namespace res

namespace res {
namespace {

struct InlineBlocksPass : public impl::InlineBlocksBase<InlineBlocksPass> {
  using InlineBlocksBase::InlineBlocksBase;
  void runOnOperation() override;
};

/// after(S(x) + F(x)) as plain ops before `block`, replacing it.
void flatten(IRRewriter &rewriter, ResidualOp block) {
  std::string name = layerName(block);
  Value x = block.getInput();
  Value f = inlineRegionBefore(rewriter, block.getBranch(), block, x);
  Value s = block.hasIdentityShortcut()
                ? x
                : inlineRegionBefore(rewriter, block.getShortcut(), block, x);
  rewriter.setInsertionPoint(block);
  Value sum = rewriter.create<AddOp>(block.getLoc(), s, f,
                                     rewriter.getStringAttr(name + ".add"));
  if (auto after = block.getAfter())
    sum = rewriter.create<ActivationOp>(
        block.getLoc(), ActivationAttr::get(rewriter.getContext(), *after), sum,
        rewriter.getStringAttr(name + ".after"));
  rewriter.replaceOp(block, sum);
}

void InlineBlocksPass::runOnOperation() {
  IRRewriter rewriter(&getContext());
  // Post-order: inner blocks are flattened into their parent's region
  // before the parent is.
  SmallVector<ResidualOp> blocks;
  getOperation().walk([&](ResidualOp op) { blocks.push_back(op); });
  for (ResidualOp block : blocks) {
    double h = block.getBranchScale().convertToDouble();
    double a = block.getOutputScale().convertToDouble();
    if (h != 1 || a != 1) {
      // Only res-generate-gradients creates `res.scale` (ResGradOps.td),
      // when GenerateGradients.cpp's flattenBlock flattens a scaled block
      // for training; this pass keeps such blocks.
      block.emitRemark() << "block '" << layerName(block)
                         << "' kept: branch_scale " << formatBound(h)
                         << " and output_scale " << formatBound(a)
                         << " would need res.scale ops, which this pass does "
                            "not create";
      continue;
    }
    flatten(rewriter, block);
    ++numInlined;
  }
  if (!unrollRepeats)
    return;
  SmallVector<RepeatOp> repeats;
  getOperation().walk([&](RepeatOp op) { repeats.push_back(op); });
  for (RepeatOp repeat : repeats) {
    unrollRepeat(rewriter, repeat);
    ++numUnrolled;
  }
}

} // namespace
} // namespace res
