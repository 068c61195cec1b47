// Output-shape rules shared by the frontend (which reports errors at the
// `.res` source) and the op verifiers (which guard hand-written IR), so the
// two can never disagree. A dimension of -1 is dynamic (mlir::ShapedType's
// kDynamic is mapped to -1 by callers); rules propagate it.
#ifndef RES_DIALECT_SHAPERULES_H
#define RES_DIALECT_SHAPERULES_H

#include <cstdint>

namespace res {

constexpr int64_t kDynamicDim = -1;

/// Spatial output size of a convolution or pooling window; may be <= 0 when
/// the window does not fit, which callers report.
int64_t windowOutputSize(int64_t in, int64_t kernel, int64_t stride,
                         int64_t pad, int64_t dilation = 1);

} // namespace res

#endif
