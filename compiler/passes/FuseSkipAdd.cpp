// res-fuse-skip-add: moves a residual block's sum and activation, and the
// bias/add/activation after any convolution, into a res.fused_conv2d, so the
// code generator computes them in the convolution's epilogue and the sum is
// never stored and read back (Passes.td has the contract).
#include "compiler/passes/BlockRewrites.h"
#include "compiler/passes/ParamValues.h"
#include "compiler/passes/Passes.h"

#include "mlir/IR/PatternMatch.h"

using namespace mlir;

namespace res {
#define GEN_PASS_DEF_FUSESKIPADD
#include "compiler/passes/Passes.h.inc"
} // namespace res

namespace res {
namespace {

struct FuseSkipAddPass : public impl::FuseSkipAddBase<FuseSkipAddPass> {
  using FuseSkipAddBase::FuseSkipAddBase;
  void runOnOperation() override;

private:
  void fuseBlocks(IRRewriter &rewriter);
  void fuseAdds(IRRewriter &rewriter);
  void fuseConvActivations(IRRewriter &rewriter);
};

/// The convolution that computes `value` and nothing else, or null.
Conv2DOp soleConv(Value value) {
  auto conv = value.getDefiningOp<Conv2DOp>();
  return conv && value.hasOneUse() ? conv : Conv2DOp();
}

/// A fused_conv2d at the rewriter's insertion point that computes
/// act(convScale * conv + residualScale * residual).
FusedConv2DOp createFused(IRRewriter &rewriter, Location loc, Conv2DOp conv,
                          Value residual, double convScale,
                          double residualScale, ActivationAttr act) {
  return rewriter.create<FusedConv2DOp>(
      loc, conv.getType(), conv.getInput(), conv.getWeight(), conv.getBias(),
      residual, conv.getStrideAttr(), conv.getPaddingAttr(),
      conv.getDilationAttr(), conv.getGroupsAttr(),
      rewriter.getF64FloatAttr(convScale),
      rewriter.getF64FloatAttr(residualScale), act, conv.getLayerAttr());
}

void FuseSkipAddPass::fuseBlocks(IRRewriter &rewriter) {
  SmallVector<ResidualOp> blocks;
  getOperation().walk([&](ResidualOp op) { blocks.push_back(op); });
  for (ResidualOp block : blocks) {
    Value f = block.getBranch().front().getTerminator()->getOperand(0);
    Conv2DOp conv = soleConv(f);
    if (!conv) {
      Operation *def = f.getDefiningOp();
      std::string why =
          !def ? "its branch is the identity"
          : isa<Conv2DOp>(def)
              ? "the result of '" + layerName(def) + "' has other users"
              : "its branch ends in '" + layerName(def) + "' (" +
                    def->getName().getStringRef().str() +
                    "), not a convolution";
      block.emitRemark() << "block '" << layerName(block)
                         << "' not fused: " << why;
      continue;
    }
    std::string convName = layerName(conv);
    Value x = block.getInput();
    inlineRegionBefore(rewriter, block.getBranch(), block, x);
    Value s = block.hasIdentityShortcut()
                  ? x
                  : inlineRegionBefore(rewriter, block.getShortcut(), block, x);
    const double a = block.getOutputScale().convertToDouble();
    const double h = block.getBranchScale().convertToDouble();
    ActivationAttr act;
    if (auto after = block.getAfter())
      act = ActivationAttr::get(&getContext(), *after);
    rewriter.setInsertionPoint(block);
    Location loc =
        FusedLoc::get(&getContext(), {conv.getLoc(), block.getLoc()});
    FusedConv2DOp fused = createFused(rewriter, loc, conv, s, a * h, a, act);
    block.emitRemark() << "block '" << layerName(block) << "': skip add"
                       << (act ? " and activation" : "") << " fused into '"
                       << convName << "'";
    rewriter.replaceOp(block, fused.getResult());
    rewriter.eraseOp(conv);
    ++numFusedBlocks;
  }
}

void FuseSkipAddPass::fuseAdds(IRRewriter &rewriter) {
  SmallVector<AddOp> adds;
  getOperation().walk([&](AddOp op) { adds.push_back(op); });
  for (AddOp add : adds) {
    Value residual;
    Conv2DOp conv = soleConv(add.getLhs());
    if (conv) {
      residual = add.getRhs();
    } else if ((conv = soleConv(add.getRhs()))) {
      // The residual may have fewer channels than the sum, never more.
      if (add.getLhs().getType() != add.getRhs().getType())
        continue;
      residual = add.getLhs();
    } else {
      continue;
    }
    rewriter.setInsertionPoint(add);
    Location loc = FusedLoc::get(&getContext(), {conv.getLoc(), add.getLoc()});
    FusedConv2DOp fused =
        createFused(rewriter, loc, conv, residual, 1.0, 1.0, ActivationAttr());
    rewriter.replaceOp(add, fused.getResult());
    rewriter.eraseOp(conv);
    ++numFusedAdds;
  }
}

void FuseSkipAddPass::fuseConvActivations(IRRewriter &rewriter) {
  SmallVector<ActivationOp> acts;
  getOperation().walk([&](ActivationOp op) { acts.push_back(op); });
  for (ActivationOp act : acts) {
    Value in = act.getInput();
    if (!in.hasOneUse())
      continue;
    Location loc = FusedLoc::get(
        &getContext(),
        {in.getDefiningOp() ? in.getDefiningOp()->getLoc() : act.getLoc(),
         act.getLoc()});
    rewriter.setInsertionPoint(act);
    FusedConv2DOp fused;
    Operation *producer = in.getDefiningOp();
    if (auto conv = dyn_cast_or_null<Conv2DOp>(producer)) {
      fused = createFused(rewriter, loc, conv, Value(), 1.0, 1.0,
                          act.getKindAttr());
    } else if (auto prior = dyn_cast_or_null<FusedConv2DOp>(producer);
               prior && !prior.getActivation()) {
      fused = cast<FusedConv2DOp>(rewriter.clone(*prior));
      fused.setActivationAttr(act.getKindAttr());
      fused->setLoc(loc);
    } else {
      continue;
    }
    rewriter.replaceOp(act, fused.getResult());
    rewriter.eraseOp(producer);
    ++numFusedActivations;
  }
}

void FuseSkipAddPass::runOnOperation() {
  IRRewriter rewriter(&getContext());
  fuseBlocks(rewriter);
  fuseAdds(rewriter);
  if (fuseActivations)
    fuseConvActivations(rewriter);
}

} // namespace
} // namespace res
