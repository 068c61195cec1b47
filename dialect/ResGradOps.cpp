// Verifiers of the training ops (ResGradOps.td). Each checks its operands
// against the forward op it differentiates, so a gradient function that
// `res-generate-gradients` got wrong fails verification instead of computing
// something of the wrong shape.
#include "dialect/OpChecks.h"
#include "dialect/ResDialect.h"
#include "dialect/ShapeRules.h"

#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;
using namespace res;
using namespace res::checks;

namespace {

/// A per-channel vector result or operand of `input`'s channel count.
LogicalResult checkChannels(Operation *op, StringRef what, Type vector,
                            Type input) {
  if (cast<RankedTensorType>(input).getRank() < 2)
    return op->emitOpError("input must have a channel dimension");
  return checkVector(op, what, vector, dimOf(input, 1));
}

/// Dims equal where both are static.
bool compatible(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i] >= 0 && b[i] >= 0 && a[i] != b[i])
      return false;
  return true;
}

LogicalResult checkSameShape(Operation *op, StringRef what, Type a, Type b) {
  if (!compatible(dimsOf(a), dimsOf(b)))
    return op->emitOpError() << what << " " << shapeString(dimsOf(a))
                             << " does not match " << shapeString(dimsOf(b));
  return success();
}

LogicalResult checkEpsilon(Operation *op, double epsilon) {
  if (!(epsilon > 0))
    return op->emitOpError("epsilon must be positive");
  return success();
}

/// The forward convolution's output for input `x` and weight `w` must be
/// the gradient `dy`.
template <typename Op>
LogicalResult checkConvGrad(Op op, Type x, Type w, Type dy) {
  if (failed(checkPairAttr(op, "stride", op.getStride(), 1)) ||
      failed(checkPairAttr(op, "padding", op.getPadding(), 0)) ||
      failed(checkPairAttr(op, "dilation", op.getDilation(), 1)))
    return failure();
  int64_t groups = op.getGroups();
  if (groups < 1)
    return op.emitOpError("groups must be at least 1, got ") << groups;
  auto wd = dimsOf(w);
  int64_t cin = dimOf(x, 1);
  if (cin >= 0 && cin != wd[1] * groups)
    return op.emitOpError("input has ")
           << cin << " channels but the weight " << shapeString(wd)
           << " with groups=" << groups << " expects " << wd[1] * groups;
  if (wd[0] % groups != 0)
    return op.emitOpError("output channels ")
           << wd[0] << " are not divisible by groups=" << groups;
  SmallVector<int64_t> forward = {dimOf(x, 0), wd[0]};
  if (failed(windowDims(op, x, {wd[2], wd[3]}, op.getStride(), op.getPadding(),
                        op.getDilation(), forward)))
    return failure();
  if (!compatible(forward, dimsOf(dy)))
    return op.emitOpError("the gradient ")
           << shapeString(dimsOf(dy)) << " is not the shape "
           << shapeString(forward) << " of the convolution's output";
  return success();
}

} // namespace

LogicalResult ChannelMeanOp::verify() {
  return checkChannels(*this, "result", getType(), getInput().getType());
}

LogicalResult ChannelVarOp::verify() {
  if (failed(checkChannels(*this, "mean", getMean().getType(),
                           getInput().getType())))
    return failure();
  return checkChannels(*this, "result", getType(), getInput().getType());
}

LogicalResult BatchNormGradOp::verify() {
  Type x = getInput().getType();
  if (failed(checkSameShape(*this, "gradient", getGrad().getType(), x)) ||
      failed(checkSameShape(*this, "result", getType(), x)))
    return failure();
  for (auto [what, value] : {std::pair<StringRef, Value>{"gamma", getGamma()},
                             {"mean", getMean()},
                             {"var", getVar()}})
    if (failed(checkChannels(*this, what, value.getType(), x)))
      return failure();
  return checkEpsilon(*this, getEpsilon().convertToDouble());
}

LogicalResult BatchNormGradGammaOp::verify() {
  Type x = getInput().getType();
  if (failed(checkSameShape(*this, "gradient", getGrad().getType(), x)))
    return failure();
  for (auto [what, value] : {std::pair<StringRef, Value>{"mean", getMean()},
                             {"var", getVar()},
                             {"result", getResult()}})
    if (failed(checkChannels(*this, what, value.getType(), x)))
      return failure();
  return checkEpsilon(*this, getEpsilon().convertToDouble());
}

LogicalResult ChannelSumOp::verify() {
  // Every dim but the features: dim 1 of [N, C, H, W] and [N, D], dim 2 of
  // tokens [N, T, D] (a dense layer's bias gradient).
  int64_t rank = cast<RankedTensorType>(getInput().getType()).getRank();
  if (rank == 3)
    return checkVector(*this, "result", getType(),
                       dimOf(getInput().getType(), 2));
  return checkChannels(*this, "result", getType(), getInput().getType());
}

LogicalResult Conv2DGradInputOp::verify() {
  auto x = dimsOf(getType());
  if (x[2] < 0 || x[3] < 0)
    return emitOpError("the input's height and width must be static");
  if (dimOf(getGrad().getType(), 0) != x[0])
    return emitOpError("result and gradient must have the same batch dim");
  return checkConvGrad(*this, getType(), getWeight().getType(),
                       getGrad().getType());
}

LogicalResult Conv2DGradWeightOp::verify() {
  if (!cast<RankedTensorType>(getType()).hasStaticShape())
    return emitOpError("the weight shape must be static");
  return checkConvGrad(*this, getInput().getType(), getType(),
                       getGrad().getType());
}

LogicalResult DenseGradInputOp::verify() {
  auto dy = dimsOf(getGrad().getType());
  auto w = dimsOf(getWeight().getType());
  const int64_t axis = featureAxis(int64_t(dy.size()));
  if (axis < 0)
    return emitOpError("the gradient must be [N, D], [N, T, D] or "
                       "[N, C, H, W], got ")
           << shapeString(dy);
  if (dy[axis] >= 0 && dy[axis] != w[0])
    return emitOpError("the gradient has ")
           << dy[axis] << " features but the weight " << shapeString(w)
           << " has " << w[0] << " outputs";
  auto dx = dy;
  dx[axis] = w[1];
  return checkResultShape(*this, getType(), dx);
}

LogicalResult DenseGradWeightOp::verify() {
  auto x = dimsOf(getInput().getType());
  auto dy = dimsOf(getGrad().getType());
  const int64_t axis = featureAxis(int64_t(x.size()));
  if (axis < 0 || x.size() != dy.size())
    return emitOpError("input and gradient must both be [N, D], [N, T, D] "
                       "or [N, C, H, W], got ")
           << shapeString(x) << " and " << shapeString(dy);
  for (size_t d = 0; d < x.size(); ++d)
    if (int64_t(d) != axis && x[d] != dy[d])
      return emitOpError("input ")
             << shapeString(x) << " and gradient " << shapeString(dy)
             << " must agree in every dim but the features";
  return checkResultShape(*this, getType(), {dy[axis], x[axis]});
}

template <typename PoolOp>
static LogicalResult verifyPoolGrad(PoolOp op, Type input) {
  if (failed(checkPairAttr(op, "kernel", op.getKernel(), 1)) ||
      failed(checkPairAttr(op, "stride", op.getStride(), 1)) ||
      failed(checkPairAttr(op, "padding", op.getPadding(), 0)))
    return failure();
  SmallVector<int64_t> forward = {dimOf(input, 0), dimOf(input, 1)};
  if (failed(windowDims(op, input, op.getKernel(), op.getStride(),
                        op.getPadding(), {1, 1}, forward)))
    return failure();
  if (!compatible(forward, dimsOf(op.getGrad().getType())))
    return op.emitOpError("the gradient ")
           << shapeString(dimsOf(op.getGrad().getType()))
           << " is not the shape " << shapeString(forward)
           << " of the pooling's output";
  return checkResultShape(op, op.getType(), dimsOf(input));
}

LogicalResult MaxPool2DGradOp::verify() {
  return verifyPoolGrad(*this, getInput().getType());
}

LogicalResult AvgPool2DGradOp::verify() {
  auto x = dimsOf(getType());
  if (x[2] < 0 || x[3] < 0)
    return emitOpError("the input's height and width must be static");
  return verifyPoolGrad(*this, getType());
}

LogicalResult GlobalAvgPoolGradOp::verify() {
  auto x = dimsOf(getType());
  auto dy = dimsOf(getGrad().getType());
  if (x[2] < 0 || x[3] < 0)
    return emitOpError("the input's height and width must be static");
  return checkResultShape(*this, getType(), {dy[0], dy[1], x[2], x[3]});
}

LogicalResult ChannelMulGradGateOp::verify() {
  if (getGrad().getType() != getInput().getType())
    return emitOpError("the gradient and the input must have one type");
  auto in = dimsOf(getInput().getType());
  auto g = dimsOf(getType());
  bool fits = (g.size() == 2 || (g.size() == 4 && g[2] == 1 && g[3] == 1)) &&
              g[0] == in[0] && g[1] == in[1];
  if (!fits)
    return emitOpError("result must be [N, C] or [N, C, 1, 1] of the input ")
           << shapeString(in) << ", got " << shapeString(g);
  return success();
}

LogicalResult LayerNormGradOp::verify() {
  Type x = getInput().getType();
  if (failed(checkSameShape(*this, "gradient", getGrad().getType(), x)) ||
      failed(checkSameShape(*this, "result", getType(), x)))
    return failure();
  auto in = dimsOf(x);
  int64_t axis = layerNormAxis(int64_t(in.size()));
  if (axis < 0)
    return emitOpError("input must be [N, C, H, W], [N, T, D] or [N, D], got ")
           << shapeString(in);
  if (getWeight() &&
      failed(checkVector(*this, "weight", getWeight().getType(), in[axis])))
    return failure();
  return checkEpsilon(*this, getEpsilon().convertToDouble());
}

LogicalResult LayerNormGradWeightOp::verify() {
  Type x = getInput().getType();
  if (failed(checkSameShape(*this, "gradient", getGrad().getType(), x)))
    return failure();
  auto in = dimsOf(x);
  int64_t axis = layerNormAxis(int64_t(in.size()));
  if (axis < 0)
    return emitOpError("input must be [N, C, H, W], [N, T, D] or [N, D], got ")
           << shapeString(in);
  if (failed(checkVector(*this, "result", getType(), in[axis])))
    return failure();
  return checkEpsilon(*this, getEpsilon().convertToDouble());
}

LogicalResult ChannelScaleGradScaleOp::verify() {
  Type x = getInput().getType();
  if (failed(checkSameShape(*this, "gradient", getGrad().getType(), x)))
    return failure();
  auto in = dimsOf(x);
  std::vector<int64_t> want = channelScaleShape({in.begin(), in.end()});
  if (want.empty())
    return emitOpError("input must be [N, C, H, W], [N, T, D] or [N, D], got ")
           << shapeString(in);
  if (!compatible(dimsOf(getType()), want))
    return emitOpError("result must be ")
           << shapeString(want) << " for an input of " << shapeString(in)
           << ", got " << shapeString(dimsOf(getType()));
  return success();
}

LogicalResult ReshapeOp::verify() {
  auto count = [](ArrayRef<int64_t> dims) {
    int64_t n = 1;
    for (int64_t d : dims.drop_front())
      n = d < 0 ? kDynamicDim : n * d;
    return n;
  };
  auto in = dimsOf(getInput().getType());
  auto out = dimsOf(getType());
  if (in[0] != out[0])
    return emitOpError("the batch dim must stay the same");
  if (count(in) < 0 || count(in) != count(out))
    return emitOpError("cannot reshape ")
           << shapeString(in) << " to " << shapeString(out)
           << ": the elements per sample must be static and equal";
  return success();
}

LogicalResult UpsampleGradOp::verify() {
  int64_t f = getFactor();
  if (f < 1)
    return emitOpError("factor must be at least 1, got ") << f;
  auto dy = dimsOf(getGrad().getType());
  for (int i : {2, 3})
    if (dy[i] >= 0 && dy[i] % f != 0)
      return emitOpError("gradient size ")
             << dy[i] << " is not a multiple of the factor " << f;
  auto down = [f](int64_t d) { return d < 0 ? d : d / f; };
  return checkResultShape(*this, getType(),
                          {dy[0], dy[1], down(dy[2]), down(dy[3])});
}

LogicalResult SliceChannelsOp::verify() {
  auto in = dimsOf(getInput().getType());
  auto out = dimsOf(getType());
  int64_t offset = getOffset();
  if (in.size() < 2 || in.size() != out.size())
    return emitOpError("input and result need the same rank, at least 2");
  if (in[1] < 0 || out[1] < 0 || offset < 0 || offset + out[1] > in[1])
    return emitOpError("channels [")
           << offset << ", " << offset + out[1] << ") are not within the "
           << in[1] << " channels of the input";
  for (size_t i = 0; i < in.size(); ++i)
    if (i != 1 && in[i] != out[i])
      return emitOpError("only the channel dim may differ, got ")
             << shapeString(in) << " and " << shapeString(out);
  return success();
}

LogicalResult TokensGradOp::verify() {
  auto g = dimsOf(getGrad().getType());
  auto x = dimsOf(getType());
  int64_t t = x[2] < 0 || x[3] < 0 ? kDynamicDim : x[2] * x[3];
  if (g[0] != x[0] || g[1] != t || g[2] != x[1])
    return emitOpError("gradient ")
           << shapeString(g) << " is not the tokens of an image "
           << shapeString(x);
  return success();
}

LogicalResult ClassTokenGradOp::verify() {
  auto g = dimsOf(getGrad().getType());
  return checkResultShape(*this, getType(),
                          {g[0], g[1] < 0 ? kDynamicDim : g[1] - 1, g[2]});
}

LogicalResult TokenBatchSumOp::verify() {
  auto g = dimsOf(getGrad().getType());
  auto r = dimsOf(getType());
  if (r[0] != 1 || r[1] < 0 || (g[1] >= 0 && r[1] > g[1]) || r[2] != g[2])
    return emitOpError("result must be [1, K, ")
           << g[2] << "] with K at most the " << g[1] << " tokens, got "
           << shapeString(r);
  return success();
}

LogicalResult TokenGradOp::verify() {
  auto g = dimsOf(getGrad().getType());
  auto r = dimsOf(getType());
  int64_t i = getIndex();
  if (r[0] != g[0] || r[2] != g[1] || r[1] < 0 || i < 0 || i >= r[1])
    return emitOpError("cannot put token ")
           << i << " of " << shapeString(g) << " into " << shapeString(r);
  return success();
}

LogicalResult AttentionHeadsGradOp::verify() {
  auto g = dimsOf(getGrad().getType());
  auto x = dimsOf(getInput().getType());
  if (failed(checkSameShape(*this, "result", getType(), getInput().getType())))
    return failure();
  const int64_t heads = getHeads();
  if (g[2] < 0 || x[2] != 3 * g[2] || g[1] != x[1] || heads < 1 ||
      g[2] % heads != 0)
    return emitOpError("gradient ")
           << shapeString(g) << " and input " << shapeString(x)
           << " are not the output and the q, k, v of " << heads << " heads";
  return success();
}
