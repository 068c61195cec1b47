// The kernels of the training ops (dialect/ResGradOps.td): batch statistics,
// running-statistic updates and the vector-Jacobian product of each forward
// op of Kernels.h. Like those, they are plain functions on resc::Tensor with
// no MLIR state, so the gradient checks can call them directly, and they
// check every operand first: on a mismatch they return false with a message
// in `error` that says what was expected, and never read out of bounds.
//
// "Channel" is dim 1; a channel reduction runs over every other dim. Where
// the op's result type fixes the result shape (a transposed window op cannot
// recover its input size from its output), the kernel takes that full shape
// as `outShape`: its batch dim (outShape[0]) may be dynamic (any negative
// value: res::kDynamicDim or mlir::ShapedType::kDynamic) and is then taken
// from the operands; every other dim must be static and is checked against
// the operands.
#ifndef RESC_COMPILER_INTERPRETER_GRADKERNELS_H
#define RESC_COMPILER_INTERPRETER_GRADKERNELS_H

#include "compiler/interpreter/Kernels.h"

#include <vector>

namespace res {
namespace kernels {

/// [C]: the mean of x over every dim except 1.
bool channelMean(const resc::Tensor &x, resc::Tensor &out, std::string &error);

/// [C]: sum((x - mean[c])^2) / (n - 1 when `unbiased`, else n), n the number
/// of values per channel; n < 2 is an error, as in PyTorch's training mode.
bool channelVar(const resc::Tensor &x, const resc::Tensor &mean, bool unbiased,
                resc::Tensor &out, std::string &error);

/// (1 - momentum) * old + momentum * new: the running-statistic update.
bool lerp(const resc::Tensor &oldValue, const resc::Tensor &newValue,
          double momentum, resc::Tensor &out, std::string &error);

/// dx of training-mode batch norm, through the batch statistics `mean` and
/// (biased) `var` of x: with r = 1 / sqrt(var + eps), xhat = (x - mean) * r,
/// dx = gamma * r / n * (n * dy - sum(dy) - xhat * sum(dy * xhat)) per
/// channel.
bool batchNormGrad(const resc::Tensor &dy, const resc::Tensor &x,
                   const resc::Tensor &gamma, const resc::Tensor &mean,
                   const resc::Tensor &var, double epsilon, resc::Tensor &out,
                   std::string &error);

/// [C]: sum over each channel of dy * xhat (the gradient of gamma).
bool batchNormGradGamma(const resc::Tensor &dy, const resc::Tensor &x,
                        const resc::Tensor &mean, const resc::Tensor &var,
                        double epsilon, resc::Tensor &out, std::string &error);

/// [C]: the sum of dy over every dim except 1 (bias and beta gradients).
bool channelSum(const resc::Tensor &dy, resc::Tensor &out, std::string &error);

/// dx [N, C, H, W] (outShape) of conv2d from dy [N, O, OH, OW] and the weight
/// w [O, C/groups, KH, KW]: the transposed convolution.
bool conv2dGradInput(const resc::Tensor &dy, const resc::Tensor &w,
                     const Conv2DAttrs &attrs,
                     const std::vector<int64_t> &outShape, resc::Tensor &out,
                     std::string &error);

/// dw [O, C/groups, KH, KW] (outShape, all static) of conv2d: the
/// correlation of the input x with dy, summed over the batch.
bool conv2dGradWeight(const resc::Tensor &x, const resc::Tensor &dy,
                      const Conv2DAttrs &attrs,
                      const std::vector<int64_t> &outShape, resc::Tensor &out,
                      std::string &error);

/// dx = dy . w over the features (kernels::featureLayout): [N, O] . [O, I]
/// gives [N, I], and per pixel [N, O, H, W] gives [N, I, H, W].
bool denseGradInput(const resc::Tensor &dy, const resc::Tensor &w,
                    resc::Tensor &out, std::string &error);

/// [O, I] = dy^T . x, summed over every position (sample, token, pixel).
bool denseGradWeight(const resc::Tensor &x, const resc::Tensor &dy,
                     resc::Tensor &out, std::string &error);

/// dy * act'(x), x the activation's input. relu' is 0 at 0 (as PyTorch).
bool activationGrad(Activation kind, const resc::Tensor &dy,
                    const resc::Tensor &x, resc::Tensor &out,
                    std::string &error);

/// dx (x's shape): each dy goes to the first maximum of its window in
/// row-major order, the same element maxPool2d picks (padding never wins);
/// overlapping windows add up.
bool maxPool2dGrad(const resc::Tensor &dy, const resc::Tensor &x,
                   const Pool2DAttrs &attrs, resc::Tensor &out,
                   std::string &error);

/// dx (outShape): each dy / (KH * KW) goes to every in-bounds element of its
/// window (count_include_pad=True, as avgPool2d).
bool avgPool2dGrad(const resc::Tensor &dy, const Pool2DAttrs &attrs,
                   const std::vector<int64_t> &outShape, resc::Tensor &out,
                   std::string &error);

/// dy [N, C] -> [N, C, H, W] (outShape): dy / (H * W) at every pixel.
/// The gradient of channelMul's gate: sum over H and W of dy * x, in
/// `gateShape` ([N, C] or [N, C, 1, 1]).
bool channelMulGradGate(const resc::Tensor &dy, const resc::Tensor &x,
                        const std::vector<int64_t> &gateShape,
                        resc::Tensor &out, std::string &error);

bool globalAvgPoolGrad(const resc::Tensor &dy,
                       const std::vector<int64_t> &outShape, resc::Tensor &out,
                       std::string &error);

/// x with outShape, the same elements per sample in C order (the gradient of
/// flatten).
bool reshape(const resc::Tensor &x, const std::vector<int64_t> &outShape,
             resc::Tensor &out, std::string &error);

/// [N, C, H / f, W / f]: the sum of each f x f block (the gradient of
/// nearest upsampling).
bool upsampleGrad(const resc::Tensor &dy, int64_t factor, resc::Tensor &out,
                  std::string &error);

/// y[:, c, ...] = x[:, offset + c, ...] for c < channels (the gradient of add
/// with fewer channels and of concat).
bool sliceChannels(const resc::Tensor &x, int64_t offset, int64_t channels,
                   resc::Tensor &out, std::string &error);

/// factor * x (the residual sum's scales).
bool scale(const resc::Tensor &x, double factor, resc::Tensor &out,
           std::string &error);

/// y * (dy - sum(dy * y)) over the last dim, y the softmax's output.
bool softmaxGrad(const resc::Tensor &dy, const resc::Tensor &y,
                 resc::Tensor &out, std::string &error);

/// dx of layerNorm from dy and x (the statistics recomputed), `weight`
/// ([features]) null for a layer norm without affine.
bool layerNormGrad(const resc::Tensor &dy, const resc::Tensor &x,
                   const resc::Tensor *weight, double epsilon,
                   resc::Tensor &out, std::string &error);

/// [features]: the sum over every position of dy * xhat (a layer norm's
/// weight gradient).
bool layerNormGradWeight(const resc::Tensor &dy, const resc::Tensor &x,
                         double epsilon, resc::Tensor &out, std::string &error);

/// The gradient of channelScale's scale, in `scaleShape` ([C, 1, 1] or
/// [D]): the sum of dy * x over every dim but the channel's.
bool channelScaleGradScale(const resc::Tensor &dy, const resc::Tensor &x,
                           const std::vector<int64_t> &scaleShape,
                           resc::Tensor &out, std::string &error);

} // namespace kernels
} // namespace res

#endif
