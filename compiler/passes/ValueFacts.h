// Facts about tensor values that the block-level passes rely on, each proved
// from the IR and the bound parameter values alone (never from an input).
#ifndef RESC_COMPILER_PASSES_VALUEFACTS_H
#define RESC_COMPILER_PASSES_VALUEFACTS_H

#include "dialect/ResDialect.h"

#include <string>

namespace res {

/// Whether `value` is 0 everywhere for every finite input. On success
/// `why` says which op makes it so ("batch norm 'l.bn2' has zero weight and
/// bias"). Infinite or NaN inputs would give NaN where this says 0, as
/// 0 * inf does; the passes accept that, like every BN-folding compiler.
bool isProvablyZero(mlir::Value value, std::string *why = nullptr);

/// Whether every element of `value` is >= 0 for every input (it comes from
/// a relu, a sigmoid, or pooling/reshaping/adding of such values), so a
/// relu on it is a no-op.
bool isProvablyNonNegative(mlir::Value value);

/// Whether the region's computation maps the zero tensor to zero (no bias,
/// no batch-norm shift, no sigmoid), so a bound on its gain also bounds its
/// output: |F(x)| <= L |x|. On failure `why` names the op that breaks it.
bool mapsZeroToZero(mlir::Region &region, std::string *why = nullptr);

} // namespace res

#endif
