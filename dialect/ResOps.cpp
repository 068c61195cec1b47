// Builders and verifiers of the `res` ops. Shape rules live in ShapeRules.cpp
// so the frontend reports the same mismatches at the `.res` source.
#include "dialect/OpChecks.h"
#include "dialect/ResDialect.h"
#include "dialect/ShapeRules.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

#include <cmath>

using namespace mlir;
using namespace res;

using namespace res::checks;

LogicalResult ParamOp::verify() {
  if (auto value = getValueAttr())
    if (value.getType() != getType())
      return emitOpError("value of type ")
             << value.getType() << " does not match the declared type "
             << getType();
  auto type = cast<RankedTensorType>(getType());
  if (!type.hasStaticShape())
    return emitOpError("parameter shapes must be static, got ") << type;
  return success();
}

LogicalResult WeightOp::verifySymbolUses(SymbolTableCollection &symbols) {
  auto param = symbols.lookupNearestSymbolFrom<ParamOp>(*this, getParamAttr());
  if (!param)
    return emitOpError("unknown parameter ") << getParamAttr();
  if (param.getType() != getType())
    return emitOpError("type ")
           << getType() << " does not match parameter " << getParamAttr()
           << " of type " << param.getType();
  return success();
}

/// The shape rules of a convolution, shared by conv2d and fused_conv2d.
template <typename ConvOp> static LogicalResult verifyConv(ConvOp op) {
  if (failed(checkPairAttr(op, "stride", op.getStride(), 1)) ||
      failed(checkPairAttr(op, "padding", op.getPadding(), 0)) ||
      failed(checkPairAttr(op, "dilation", op.getDilation(), 1)))
    return failure();
  int64_t groups = op.getGroups();
  if (groups < 1)
    return op.emitOpError("groups must be at least 1, got ") << groups;
  auto w = dimsOf(op.getWeight().getType());
  int64_t cin = dimOf(op.getInput().getType(), 1);
  if (cin >= 0 && cin != w[1] * groups)
    return op.emitOpError("input has ")
           << cin << " channels but the weight " << shapeString(w)
           << " with groups=" << groups << " expects " << w[1] * groups;
  if (w[0] % groups != 0)
    return op.emitOpError("output channels ")
           << w[0] << " are not divisible by groups=" << groups;
  if (op.getBias() &&
      failed(checkVector(op, "bias", op.getBias().getType(), w[0])))
    return failure();
  llvm::SmallVector<int64_t> expected = {dimOf(op.getInput().getType(), 0),
                                         w[0]};
  if (failed(windowDims(op, op.getInput().getType(), {w[2], w[3]},
                        op.getStride(), op.getPadding(), op.getDilation(),
                        expected)))
    return failure();
  return checkResultShape(op, op.getType(), expected);
}

/// Whether `b` may be added to `a` under res.add's rule: equal shapes, except
/// that `b` may have fewer channels.
static bool addable(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b) {
  bool ok = a.size() == b.size();
  for (size_t i = 0; ok && i < a.size(); ++i)
    ok = i == 1 ? (a[1] >= 0 && b[1] >= 0 && b[1] <= a[1]) || a[1] == b[1]
                : a[i] == b[i];
  return ok;
}

LogicalResult Conv2DOp::verify() { return verifyConv(*this); }

LogicalResult FusedConv2DOp::verify() {
  if (failed(verifyConv(*this)))
    return failure();
  if (!getResidual()) {
    // Without a residual the scale would be a second, redundant way to
    // scale the weights.
    if (getConvScale().convertToDouble() != 1.0)
      return emitOpError("conv_scale must be 1 without a residual");
    return success();
  }
  auto y = dimsOf(getType());
  auto r = dimsOf(getResidual().getType());
  if (!addable(y, r))
    return emitOpError("cannot add the residual ")
           << shapeString(r) << " to the result " << shapeString(y)
           << ": shapes must match, except that the residual may have "
              "fewer channels";
  return success();
}

LogicalResult FoldBatchNormParamsOp::verify() {
  auto w = dimsOf(getWeight().getType());
  if (w.size() < 2 || w[0] < 0)
    return emitOpError("weight must have a static output dimension first, "
                       "got ")
           << shapeString(w);
  for (auto [what, value] : {std::pair<StringRef, Value>{"gamma", getGamma()},
                             {"beta", getBeta()},
                             {"mean", getMean()},
                             {"var", getVar()},
                             {"bias", getBias()}})
    if (value && failed(checkVector(*this, what, value.getType(), w[0])))
      return failure();
  if (getFoldedWeight().getType() != getWeight().getType())
    return emitOpError("folded weight must have the weight's type");
  if (failed(
          checkVector(*this, "folded bias", getFoldedBias().getType(), w[0])))
    return failure();
  if (!(getEpsilon().convertToDouble() > 0))
    return emitOpError("epsilon must be positive");
  return success();
}

LogicalResult BatchNormOp::verify() {
  auto type = cast<RankedTensorType>(getInput().getType());
  if (type.getRank() < 2)
    return emitOpError("input must have a channel dimension");
  int64_t c = dimOf(type, 1);
  for (auto [what, value] : {std::pair<StringRef, Value>{"weight", getWeight()},
                             {"bias", getBias()},
                             {"running_mean", getRunningMean()},
                             {"running_var", getRunningVar()}})
    if (failed(checkVector(*this, what, value.getType(), c)))
      return failure();
  if (!(getEpsilon().convertToDouble() > 0))
    return emitOpError("epsilon must be positive");
  if (getResult().getType() != type)
    return emitOpError("result type must equal the input type");
  return success();
}

template <typename PoolOp> static LogicalResult verifyPool(PoolOp op) {
  if (failed(checkPairAttr(op, "kernel", op.getKernel(), 1)) ||
      failed(checkPairAttr(op, "stride", op.getStride(), 1)) ||
      failed(checkPairAttr(op, "padding", op.getPadding(), 0)))
    return failure();
  for (unsigned i = 0; i < 2; ++i)
    if (op.getPadding()[i] * 2 > op.getKernel()[i])
      return op.emitOpError("padding must be at most half the kernel size");
  llvm::SmallVector<int64_t> expected = {dimOf(op.getInput().getType(), 0),
                                         dimOf(op.getInput().getType(), 1)};
  if (failed(windowDims(op, op.getInput().getType(), op.getKernel(),
                        op.getStride(), op.getPadding(), {1, 1}, expected)))
    return failure();
  return checkResultShape(op, op.getType(), expected);
}

LogicalResult MaxPool2DOp::verify() { return verifyPool(*this); }
LogicalResult AvgPool2DOp::verify() { return verifyPool(*this); }

LogicalResult GlobalAvgPoolOp::verify() {
  auto in = dimsOf(getInput().getType());
  return checkResultShape(*this, getType(), {in[0], in[1]});
}

/// A gate of [N, C] or [N, C, 1, 1] for an input of [N, C, H, W].
static LogicalResult checkGate(Operation *op, Type inputType, Type gateType,
                               const char *what) {
  auto in = dimsOf(inputType);
  auto g = dimsOf(gateType);
  bool fits = (g.size() == 2 || (g.size() == 4 && g[2] == 1 && g[3] == 1)) &&
              (g[0] < 0 || in[0] < 0 || g[0] == in[0]) &&
              (g[1] < 0 || in[1] < 0 || g[1] == in[1]);
  if (!fits)
    return op->emitOpError(what)
           << " must be [N, C] or [N, C, 1, 1] for an input of "
           << shapeString(in) << ", got " << shapeString(g);
  return success();
}

LogicalResult ChannelMulOp::verify() {
  return checkGate(*this, getInput().getType(), getGate().getType(),
                   "the gate");
}

LogicalResult LayerNormOp::verify() {
  auto in = dimsOf(getInput().getType());
  int64_t axis = layerNormAxis(int64_t(in.size()));
  if (axis < 0)
    return emitOpError("input must be [N, C, H, W], [N, T, D] or [N, D], got ")
           << shapeString(in);
  if (bool(getWeight()) != bool(getBias()))
    return emitOpError("weight and bias must be both given or both absent");
  if (getWeight())
    for (auto [what, value] :
         {std::pair<StringRef, Value>{"weight", getWeight()},
          {"bias", getBias()}})
      if (failed(checkVector(*this, what, value.getType(), in[axis])))
        return failure();
  if (!(getEpsilon().convertToDouble() > 0))
    return emitOpError("epsilon must be positive");
  return success();
}

LogicalResult ChannelScaleOp::verify() {
  auto in = dimsOf(getInput().getType());
  std::vector<int64_t> want = channelScaleShape({in.begin(), in.end()});
  if (want.empty())
    return emitOpError("input must be [N, C, H, W], [N, T, D] or [N, D], got ")
           << shapeString(in);
  auto s = dimsOf(getScale().getType());
  bool fits = s.size() == want.size();
  for (size_t i = 0; fits && i < s.size(); ++i)
    fits = s[i] < 0 || want[i] < 0 || s[i] == want[i];
  if (!fits)
    return emitOpError("scale must be ")
           << shapeString(want) << " for an input of " << shapeString(in)
           << ", got " << shapeString(s);
  if (!std::isfinite(getInit().convertToDouble()))
    return emitOpError("init must be finite");
  return success();
}

LogicalResult FlattenOp::verify() {
  auto in = dimsOf(getInput().getType());
  if (in.size() < 2)
    return emitOpError("input must have at least 2 dimensions");
  int64_t features = 1;
  for (size_t i = 1; i < in.size(); ++i)
    features = (in[i] < 0 || features < 0) ? kDynamicDim : features * in[i];
  return checkResultShape(*this, getType(), {in[0], features});
}

LogicalResult DenseOp::verify() {
  auto w = dimsOf(getWeight().getType());
  auto in = dimsOf(getInput().getType());
  const int64_t axis = featureAxis(int64_t(in.size()));
  if (axis < 0)
    return emitOpError("input must be [N, D], [N, T, D] or [N, C, H, W], got ")
           << shapeString(in);
  const size_t features = size_t(axis);
  if (in[features] >= 0 && in[features] != w[1])
    return emitOpError("input has ")
           << in[features] << " features but the weight " << shapeString(w)
           << " expects " << w[1];
  if (getBias() &&
      failed(checkVector(*this, "bias", getBias().getType(), w[0])))
    return failure();
  auto out = in;
  out[features] = w[0];
  return checkResultShape(*this, getType(), out);
}

LogicalResult UpsampleOp::verify() {
  int64_t f = getFactor();
  if (f < 1)
    return emitOpError("factor must be at least 1, got ") << f;
  auto in = dimsOf(getInput().getType());
  auto scaled = [f](int64_t d) { return d < 0 ? d : d * f; };
  return checkResultShape(*this, getType(),
                          {in[0], in[1], scaled(in[2]), scaled(in[3])});
}

LogicalResult AddOp::verify() {
  auto a = dimsOf(getLhs().getType());
  auto b = dimsOf(getRhs().getType());
  if (!addable(a, b))
    return emitOpError("cannot add ")
           << shapeString(b) << " to " << shapeString(a)
           << ": shapes must match, except that the right operand may have "
              "fewer channels";
  return success();
}

LogicalResult ConcatOp::verify() {
  auto a = dimsOf(getLhs().getType());
  auto b = dimsOf(getRhs().getType());
  if (a.size() != b.size() || a.size() < 2)
    return emitOpError("operands must have the same rank, at least 2");
  llvm::SmallVector<int64_t> expected(a);
  for (size_t i = 0; i < a.size(); ++i)
    if (i != 1 && a[i] != b[i])
      return emitOpError("operand shapes ")
             << shapeString(a) << " and " << shapeString(b)
             << " differ outside the channel dimension";
  expected[1] = (a[1] < 0 || b[1] < 0) ? kDynamicDim : a[1] + b[1];
  return checkResultShape(*this, getType(), expected);
}

LogicalResult TokensOp::verify() {
  auto in = dimsOf(getInput().getType());
  int64_t t = in[2] < 0 || in[3] < 0 ? kDynamicDim : in[2] * in[3];
  return checkResultShape(*this, getType(), {in[0], t, in[1]});
}

LogicalResult ClassTokenOp::verify() {
  auto in = dimsOf(getInput().getType());
  auto tok = dimsOf(getToken().getType());
  if (tok[0] != 1 || tok[1] != 1 || (in[2] >= 0 && tok[2] != in[2]))
    return emitOpError("token must be [1, 1, ")
           << in[2] << "] for an input of " << shapeString(in) << ", got "
           << shapeString(tok);
  return checkResultShape(*this, getType(),
                          {in[0], in[1] < 0 ? kDynamicDim : in[1] + 1, in[2]});
}

LogicalResult PosEmbeddingOp::verify() {
  auto in = dimsOf(getInput().getType());
  auto e = dimsOf(getEmbedding().getType());
  if (e[0] != 1 || e[1] != in[1] || e[2] != in[2])
    return emitOpError("embedding must be [1, ")
           << in[1] << ", " << in[2] << "] for an input of " << shapeString(in)
           << ", got " << shapeString(e);
  return success();
}

LogicalResult TokenOp::verify() {
  auto in = dimsOf(getInput().getType());
  int64_t i = getIndex();
  if (i < 0 || (in[1] >= 0 && i >= in[1]))
    return emitOpError("token ")
           << i << " is out of range for " << shapeString(in);
  return checkResultShape(*this, getType(), {in[0], in[2]});
}

LogicalResult AttentionOp::verify() {
  auto in = dimsOf(getInput().getType());
  const int64_t d = in[2], heads = getHeads();
  if (d < 0)
    return emitOpError("the number of features must be known");
  if (heads < 1 || d % heads != 0)
    return emitOpError("") << d << " features are not divisible by " << heads
                           << " heads";
  auto fits = [&](Value v, llvm::ArrayRef<int64_t> want, StringRef what) {
    auto got = dimsOf(v.getType());
    if (llvm::ArrayRef<int64_t>(got) == want)
      return success();
    return LogicalResult(emitOpError("")
                         << what << " must be " << shapeString(want) << ", got "
                         << shapeString(got));
  };
  if (failed(fits(getInWeight(), {3 * d, d}, "in_weight")) ||
      failed(fits(getOutWeight(), {d, d}, "out_weight")))
    return failure();
  if (bool(getInBias()) != bool(getOutBias()))
    return emitOpError(
        "in_bias and out_bias must be both given or both absent");
  if (getInBias() &&
      (failed(checkVector(*this, "in_bias", getInBias().getType(), 3 * d)) ||
       failed(checkVector(*this, "out_bias", getOutBias().getType(), d))))
    return failure();
  return success();
}

Value AttentionOp::split() {
  OpBuilder b(*this);
  auto type = cast<RankedTensorType>(getType());
  SmallVector<int64_t> qkvShape(type.getShape());
  qkvShape[2] *= 3;
  auto qkvType = RankedTensorType::get(qkvShape, type.getElementType());
  std::string layer = getLayer() ? getLayer()->str() : "attention";
  auto in = b.create<DenseOp>(getLoc(), qkvType, getInput(), getInWeight(),
                              getInBias(), b.getStringAttr(layer + ".in_proj"));
  auto heads =
      b.create<AttentionHeadsOp>(getLoc(), type, in.getResult(), getHeadsAttr(),
                                 b.getStringAttr(layer + ".heads"));
  auto out =
      b.create<DenseOp>(getLoc(), type, heads.getResult(), getOutWeight(),
                        getOutBias(), b.getStringAttr(layer + ".out_proj"));
  getResult().replaceAllUsesWith(out.getResult());
  erase();
  return out.getResult();
}

void AttentionOp::splitAll(Operation *root) {
  SmallVector<AttentionOp> found;
  root->walk([&](AttentionOp a) { found.push_back(a); });
  for (AttentionOp a : found)
    a.split();
}

LogicalResult AttentionHeadsOp::verify() {
  auto in = dimsOf(getInput().getType());
  if (in[2] < 0 || in[2] % 3 != 0)
    return emitOpError("input must hold q, k and v: 3D features, got ")
           << shapeString(in);
  const int64_t d = in[2] / 3, heads = getHeads();
  if (heads < 1 || d % heads != 0)
    return emitOpError("") << d << " features are not divisible by " << heads
                           << " heads";
  return checkResultShape(*this, getType(), {in[0], in[1], d});
}

void ResidualOp::build(OpBuilder &builder, OperationState &state,
                       Type resultType, Value input) {
  state.addOperands(input);
  state.addTypes(resultType);
  state.addRegion();
  state.addRegion();
}

LogicalResult ResidualOp::verify() {
  for (double s :
       {getBranchScale().convertToDouble(), getOutputScale().convertToDouble()})
    if (!std::isfinite(s))
      return emitOpError("scales must be finite");
  Type in = getInput().getType(), out = getType();
  if (failed(checkRegion(*this, getBranch(), "branch", in, out)))
    return failure();
  if (getShortcut().empty()) {
    if (in != out)
      return emitOpError("the branch changes the shape from ")
             << in << " to " << out << " but the shortcut is the identity";
    return success();
  }
  return checkRegion(*this, getShortcut(), "shortcut", in, out);
}

void RepeatOp::build(OpBuilder &builder, OperationState &state, Value input,
                     int64_t count) {
  state.addOperands(input);
  state.addAttribute(getCountAttrName(state.name),
                     builder.getI64IntegerAttr(count));
  state.addTypes(input.getType());
  state.addRegion();
}

LogicalResult RepeatOp::verify() {
  int64_t count = getCountAttr().getInt();
  if (count < 1)
    return emitOpError("count must be at least 1, got ") << count;
  Type in = getInput().getType();
  if (getType() != in)
    return emitOpError("a tied repeat must keep the type ") << in;
  return checkRegion(*this, getBody(), "body", in, in);
}

#define GET_OP_CLASSES
#include "dialect/ResOps.cpp.inc"
