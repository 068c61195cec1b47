// The interpreter's execution of the training ops (ResGradOps.td): each op
// maps onto one kernel of GradKernels.h; shapes that only the result type
// knows (a strided convolution's input size) are read from it, with the
// batch taken from the first operand.
#include "compiler/interpreter/GradOps.h"
#include "compiler/interpreter/GradKernels.h"
#include "compiler/interpreter/TokenGradKernels.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using resc::Tensor;

namespace res {
namespace {

template <typename ConvOp> kernels::Conv2DAttrs convGradAttrs(ConvOp c) {
  kernels::Conv2DAttrs a;
  a.stride = {c.getStride()[0], c.getStride()[1]};
  a.padding = {c.getPadding()[0], c.getPadding()[1]};
  a.dilation = {c.getDilation()[0], c.getDilation()[1]};
  a.groups = c.getGroups();
  return a;
}

template <typename PoolOp> kernels::Pool2DAttrs poolGradAttrs(PoolOp p) {
  kernels::Pool2DAttrs a;
  a.kernel = {p.getKernel()[0], p.getKernel()[1]};
  a.stride = {p.getStride()[0], p.getStride()[1]};
  a.padding = {p.getPadding()[0], p.getPadding()[1]};
  return a;
}

} // namespace

FailureOr<bool> runGradOp(Operation *op, const GradOperands &get, Tensor &out,
                          std::string &error) {
  // The result type's shape with its dynamic batch dim taken from `like`.
  auto shapeOf = [&](const Tensor &like) {
    auto type = cast<RankedTensorType>(op->getResult(0).getType());
    std::vector<int64_t> shape(type.getShape().begin(), type.getShape().end());
    if (!shape.empty() && type.isDynamicDim(0) && !like.shape.empty())
      shape[0] = like.shape[0];
    return shape;
  };
  return llvm::TypeSwitch<Operation *, FailureOr<bool>>(op)
      .Case([&](ChannelMeanOp m) {
        return kernels::channelMean(get(m.getInput()), out, error);
      })
      .Case([&](ChannelVarOp v) {
        return kernels::channelVar(get(v.getInput()), get(v.getMean()),
                                   v.getUnbiased(), out, error);
      })
      .Case([&](LerpOp l) {
        return kernels::lerp(get(l.getRunning()), get(l.getBatch()),
                             l.getMomentum().convertToDouble(), out, error);
      })
      .Case([&](BatchNormGradOp b) {
        return kernels::batchNormGrad(
            get(b.getGrad()), get(b.getInput()), get(b.getGamma()),
            get(b.getMean()), get(b.getVar()), b.getEpsilon().convertToDouble(),
            out, error);
      })
      .Case([&](BatchNormGradGammaOp b) {
        return kernels::batchNormGradGamma(
            get(b.getGrad()), get(b.getInput()), get(b.getMean()),
            get(b.getVar()), b.getEpsilon().convertToDouble(), out, error);
      })
      .Case([&](ChannelSumOp s) {
        return kernels::channelSum(get(s.getInput()), out, error);
      })
      .Case([&](Conv2DGradInputOp c) {
        const Tensor &dy = get(c.getGrad());
        return kernels::conv2dGradInput(
            dy, get(c.getWeight()), convGradAttrs(c), shapeOf(dy), out, error);
      })
      .Case([&](Conv2DGradWeightOp c) {
        const Tensor &x = get(c.getInput());
        return kernels::conv2dGradWeight(x, get(c.getGrad()), convGradAttrs(c),
                                         shapeOf(x), out, error);
      })
      .Case([&](DenseGradInputOp d) {
        return kernels::denseGradInput(get(d.getGrad()), get(d.getWeight()),
                                       out, error);
      })
      .Case([&](DenseGradWeightOp d) {
        return kernels::denseGradWeight(get(d.getInput()), get(d.getGrad()),
                                        out, error);
      })
      .Case([&](ActivationGradOp a) {
        return kernels::activationGrad(a.getKind(), get(a.getGrad()),
                                       get(a.getInput()), out, error);
      })
      .Case([&](MaxPool2DGradOp p) {
        return kernels::maxPool2dGrad(get(p.getGrad()), get(p.getInput()),
                                      poolGradAttrs(p), out, error);
      })
      .Case([&](AvgPool2DGradOp p) {
        const Tensor &dy = get(p.getGrad());
        return kernels::avgPool2dGrad(dy, poolGradAttrs(p), shapeOf(dy), out,
                                      error);
      })
      .Case([&](GlobalAvgPoolGradOp g) {
        const Tensor &dy = get(g.getGrad());
        return kernels::globalAvgPoolGrad(dy, shapeOf(dy), out, error);
      })
      .Case([&](ChannelMulGradGateOp g) {
        const Tensor &x = get(g.getInput());
        std::vector<int64_t> shape = {x.shape[0], x.shape[1]};
        if (cast<RankedTensorType>(g.getType()).getRank() == 4)
          shape.insert(shape.end(), {1, 1});
        return kernels::channelMulGradGate(get(g.getGrad()), x, shape, out,
                                           error);
      })
      .Case([&](LayerNormGradOp l) {
        const Tensor *w = l.getWeight() ? &get(l.getWeight()) : nullptr;
        return kernels::layerNormGrad(get(l.getGrad()), get(l.getInput()), w,
                                      l.getEpsilon().convertToDouble(), out,
                                      error);
      })
      .Case([&](LayerNormGradWeightOp l) {
        return kernels::layerNormGradWeight(get(l.getGrad()), get(l.getInput()),
                                            l.getEpsilon().convertToDouble(),
                                            out, error);
      })
      .Case([&](ChannelScaleGradScaleOp s) {
        auto type = cast<RankedTensorType>(s.getType());
        return kernels::channelScaleGradScale(
            get(s.getGrad()), get(s.getInput()),
            {type.getShape().begin(), type.getShape().end()}, out, error);
      })
      .Case([&](ReshapeOp r) {
        const Tensor &x = get(r.getInput());
        return kernels::reshape(x, shapeOf(x), out, error);
      })
      .Case([&](UpsampleGradOp u) {
        return kernels::upsampleGrad(get(u.getGrad()), u.getFactor(), out,
                                     error);
      })
      .Case([&](SliceChannelsOp s) {
        const Tensor &x = get(s.getInput());
        return kernels::sliceChannels(x, s.getOffset(), shapeOf(x)[1], out,
                                      error);
      })
      .Case([&](ScaleOp s) {
        return kernels::scale(get(s.getInput()),
                              s.getFactor().convertToDouble(), out, error);
      })
      .Case([&](TokensGradOp t) {
        const Tensor &dy = get(t.getGrad());
        return kernels::tokensGrad(dy, shapeOf(dy), out, error);
      })
      .Case([&](ClassTokenGradOp c) {
        return kernels::classTokenGrad(get(c.getGrad()), out, error);
      })
      .Case([&](TokenBatchSumOp s) {
        auto type = cast<RankedTensorType>(s.getType());
        return kernels::batchSumTokens(get(s.getGrad()), type.getDimSize(1),
                                       out, error);
      })
      .Case([&](TokenGradOp t) {
        auto type = cast<RankedTensorType>(t.getType());
        return kernels::tokenGrad(get(t.getGrad()), t.getIndex(),
                                  type.getDimSize(1), out, error);
      })
      .Case([&](AttentionHeadsGradOp a) {
        return kernels::attentionHeadsGrad(get(a.getGrad()), get(a.getInput()),
                                           a.getHeads(), out, error);
      })
      .Case([&](SoftmaxGradOp s) {
        return kernels::softmaxGrad(get(s.getGrad()), get(s.getOutput()), out,
                                    error);
      })
      .Default([&](Operation *) -> FailureOr<bool> {
        return op->emitOpError("is not supported by the interpreter");
      });
}

} // namespace res
