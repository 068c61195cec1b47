// Rewrites of whole residual blocks and repeats shared by several passes.
#ifndef RESC_COMPILER_PASSES_BLOCKREWRITES_H
#define RESC_COMPILER_PASSES_BLOCKREWRITES_H

#include "dialect/ResDialect.h"

#include "mlir/IR/PatternMatch.h"

namespace res {

/// Moves the ops of `region`'s one block before `before`, with `argument`
/// for its block argument, and returns the value its `res.yield` gave (the
/// yield is erased). The region is left empty.
mlir::Value inlineRegionBefore(mlir::RewriterBase &rewriter,
                               mlir::Region &region, mlir::Operation *before,
                               mlir::Value argument);

/// Replaces `block`, which must have output_scale 1 and a branch known to be
/// zero (or negligible), by after(S(x)): the shortcut ops are inlined and
/// the `after` activation is added unless it is provably a no-op on the
/// shortcut's value. The branch is dropped.
void replaceByShortcut(mlir::RewriterBase &rewriter, ResidualOp block);

/// Replaces `repeat` by `count` copies of its body, in order.
void unrollRepeat(mlir::RewriterBase &rewriter, RepeatOp repeat);

} // namespace res

#endif
