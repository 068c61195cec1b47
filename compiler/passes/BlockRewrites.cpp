// Block-level rewrites shared by res-simplify, res-prune-identity and
// res-inline-blocks (see BlockRewrites.h).
#include "compiler/passes/BlockRewrites.h"
#include "compiler/passes/ParamValues.h"
#include "compiler/passes/ValueFacts.h"

#include "mlir/IR/IRMapping.h"

using namespace mlir;

namespace res {

Value inlineRegionBefore(RewriterBase &rewriter, Region &region,
                         Operation *before, Value argument) {
  Block &block = region.front();
  auto yield = cast<YieldOp>(block.getTerminator());
  Value result = yield.getValue();
  // A region that yields its argument gives the argument's replacement.
  if (result == block.getArgument(0))
    result = argument;
  rewriter.eraseOp(yield);
  rewriter.inlineBlockBefore(&block, before, ValueRange{argument});
  return result;
}

/// Whether `kind` applied to `value` changes nothing.
static bool isNoOpOn(Activation kind, Value value) {
  return kind == Activation::identity ||
         (kind == Activation::relu && isProvablyNonNegative(value));
}

void replaceByShortcut(RewriterBase &rewriter, ResidualOp block) {
  Value x = block.getInput();
  Value shortcut =
      block.hasIdentityShortcut()
          ? x
          : inlineRegionBefore(rewriter, block.getShortcut(), block, x);
  if (auto after = block.getAfter(); after && !isNoOpOn(*after, shortcut)) {
    rewriter.setInsertionPoint(block);
    auto layer = rewriter.getStringAttr(layerName(block) + ".after");
    shortcut = rewriter.create<ActivationOp>(
        block.getLoc(), ActivationAttr::get(rewriter.getContext(), *after),
        shortcut, layer);
  }
  rewriter.replaceOp(block, shortcut);
}

void unrollRepeat(RewriterBase &rewriter, RepeatOp repeat) {
  Value current = repeat.getInput();
  Block &body = repeat.getBody().front();
  rewriter.setInsertionPoint(repeat);
  for (int64_t i = 0; i < static_cast<int64_t>(repeat.getCount()); ++i) {
    IRMapping mapping;
    mapping.map(body.getArgument(0), current);
    for (Operation &op : body.without_terminator())
      rewriter.clone(op, mapping);
    current = mapping.lookup(cast<YieldOp>(body.getTerminator()).getValue());
  }
  rewriter.replaceOp(repeat, current);
}

} // namespace res
