// Output-shape rules shared by the frontend (which reports errors at the
// `.res` source) and the op verifiers (which guard hand-written IR), so the
// two can never disagree. A dimension of -1 is dynamic (mlir::ShapedType's
// kDynamic is mapped to -1 by callers); rules propagate it.
#ifndef RES_DIALECT_SHAPERULES_H
#define RES_DIALECT_SHAPERULES_H

#include <cstdint>
#include <vector>

namespace res {

constexpr int64_t kDynamicDim = -1;

/// Spatial output size of a convolution or pooling window; may be <= 0 when
/// the window does not fit, which callers report.
int64_t windowOutputSize(int64_t in, int64_t kernel, int64_t stride,
                         int64_t pad, int64_t dilation = 1);

/// The dimension that holds the features of a tensor of `rank`, the one
/// dense, layernorm and channel_scale work on: the channels (1) of
/// [N, C, H, W], the last dim of [N, D] and of a token tensor [N, T, D];
/// -1 for any other rank.
int64_t featureAxis(int64_t rank);
/// The dimension a layer norm normalises over: featureAxis.
int64_t layerNormAxis(int64_t rank);

/// The shape of a channel_scale's scale for an input of `input` dims:
/// [C, 1, 1] for [N, C, H, W] (broadcasting as PyTorch's x * s), [D] for
/// [N, D] and [N, T, D]; empty for a rank the op does not take.
std::vector<int64_t> channelScaleShape(const std::vector<int64_t> &input);

} // namespace res

#endif
