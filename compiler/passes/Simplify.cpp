// res-simplify: canonicalisation and dead-code removal for the res dialect.
// The patterns live in this pass rather than as ODS canonicalizers so the
// dialect stays a pure description of the ops.
#include "compiler/passes/BlockRewrites.h"
#include "compiler/passes/ParamValues.h"
#include "compiler/passes/Passes.h"
#include "compiler/passes/ValueFacts.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace res {
#define GEN_PASS_DEF_SIMPLIFY
#include "compiler/passes/Passes.h.inc"
} // namespace res

namespace res {
namespace {

/// identity(x) -> x, relu(x) -> x when x >= 0 (e.g. relu(relu(y))).
struct DropNoOpActivation : OpRewritePattern<ActivationOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ActivationOp op,
                                PatternRewriter &rewriter) const override {
    // A dropout keeps its op until training refuses it (kDropoutAttr).
    if (op->hasAttr(kDropoutAttr))
      return failure();
    bool noOp = op.getKind() == Activation::identity ||
                (op.getKind() == Activation::relu &&
                 isProvablyNonNegative(op.getInput()));
    if (!noOp)
      return failure();
    rewriter.replaceOp(op, op.getInput());
    return success();
  }
};

/// `after identity` is no post-activation.
struct DropIdentityAfter : OpRewritePattern<ResidualOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ResidualOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getAfter() != Activation::identity)
      return failure();
    rewriter.modifyOpInPlace(op, [&] { op.removeAfterAttr(); });
    return success();
  }
};

/// A shortcut region that yields its argument is the identity shortcut.
struct EmptyIdentityShortcut : OpRewritePattern<ResidualOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ResidualOp op,
                                PatternRewriter &rewriter) const override {
    Region &shortcut = op.getShortcut();
    if (shortcut.empty())
      return failure();
    Block &block = shortcut.front();
    auto yield = cast<YieldOp>(block.getTerminator());
    if (&block.front() != yield.getOperation() ||
        yield.getValue() != block.getArgument(0))
      return failure();
    // Through the rewriter, so the driver forgets the erased yield.
    rewriter.modifyOpInPlace(op, [&] { rewriter.eraseBlock(&block); });
    return success();
  }
};

/// a * (S(x) + 0 * F(x)) with a = 1 is S(x).
struct ZeroBranchScale : OpRewritePattern<ResidualOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ResidualOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getBranchScale().convertToDouble() != 0 ||
        op.getOutputScale().convertToDouble() != 1)
      return failure();
    replaceByShortcut(rewriter, op);
    return success();
  }
};

/// A tied repeat of count 1 is its body; one whose body yields its
/// argument (e.g. after pruning) is its input.
struct InlineSingleRepeat : OpRewritePattern<RepeatOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RepeatOp op,
                                PatternRewriter &rewriter) const override {
    Block &body = op.getBody().front();
    if (cast<YieldOp>(body.getTerminator()).getValue() == body.getArgument(0)) {
      rewriter.replaceOp(op, op.getInput());
      return success();
    }
    if (op.getCountAttr().getInt() != 1)
      return failure();
    unrollRepeat(rewriter, op);
    return success();
  }
};

struct SimplifyPass : public impl::SimplifyBase<SimplifyPass> {
  using SimplifyBase::SimplifyBase;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<DropNoOpActivation, DropIdentityAfter, EmptyIdentityShortcut,
                 ZeroBranchScale, InlineSingleRepeat>(&getContext());
    GreedyRewriteConfig config;
    // The regions of res ops are single blocks whose argument is the
    // block's input; there is no control flow to simplify.
    config.enableRegionSimplification = GreedySimplifyRegionLevel::Disabled;
    // The driver also erases dead pure ops (res.weight, layers) as it goes.
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns),
                                            config)))
      return signalPassFailure();
    if (eraseUnusedParams)
      numErasedParams += eraseAllUnusedParams(getOperation());
  }
};

} // namespace
} // namespace res
