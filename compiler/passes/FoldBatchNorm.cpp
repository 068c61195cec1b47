// res-fold-bn: folds inference-mode batch norms into the convolution or
// dense layer next to them (Passes.td has the contract). All arithmetic is
// in double and rounded to f32 once, so a folded layer differs from the
// unfolded pair by about one f32 rounding per weight.
#include "compiler/passes/ParamValues.h"
#include "compiler/passes/Passes.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/STLExtras.h"

#include <array>
#include <cmath>
#include <map>

using namespace mlir;

namespace res {
#define GEN_PASS_DEF_FOLDBATCHNORM
#include "compiler/passes/Passes.h.inc"
} // namespace res

namespace res {
namespace {

/// A batch norm as y = scale * x + shift per channel, from bound values.
struct Affine {
  std::vector<double> scale, shift;
};

std::optional<Affine> affineOf(BatchNormOp bn) {
  auto gamma = boundValues(bn.getWeight()), beta = boundValues(bn.getBias()),
       mean = boundValues(bn.getRunningMean()),
       var = boundValues(bn.getRunningVar());
  if (!gamma || !beta || !mean || !var)
    return std::nullopt;
  double eps = bn.getEpsilon().convertToDouble();
  Affine a;
  for (size_t c = 0; c < gamma->size(); ++c) {
    double s = (*gamma)[c] / std::sqrt((*var)[c] + eps);
    a.scale.push_back(s);
    a.shift.push_back((*beta)[c] - (*mean)[c] * s);
  }
  return a;
}

/// Names for the folded parameters: the layer's weight and bias names with
/// `.bn_folded` appended (the bias named after the weight if there was
/// none).
std::string foldedBiasName(ParamOp weight, ParamOp bias) {
  if (bias)
    return bias.getSymName().str() + ".bn_folded";
  StringRef name = weight.getSymName();
  name.consume_back(".weight");
  return name.str() + ".bias.bn_folded";
}

/// A conv2d or dense layer seen through one interface: a weight with `out`
/// rows of `cols` elements and `groups` groups, and an optional bias.
struct Layer {
  Operation *op;
  Value input, weight, bias;
  int64_t groups = 1;

  static std::optional<Layer> of(Operation *op) {
    if (auto conv = dyn_cast_or_null<Conv2DOp>(op))
      return Layer{op, conv.getInput(), conv.getWeight(), conv.getBias(),
                   static_cast<int64_t>(conv.getGroups())};
    if (auto dense = dyn_cast_or_null<DenseOp>(op))
      return Layer{op, dense.getInput(), dense.getWeight(), dense.getBias(), 1};
    return std::nullopt;
  }
  bool hasPadding() const {
    auto conv = dyn_cast<Conv2DOp>(op);
    return conv &&
           llvm::any_of(conv.getPadding(), [](int64_t p) { return p != 0; });
  }
  RankedTensorType weightType() const {
    return cast<RankedTensorType>(weight.getType());
  }
};

struct FoldBatchNormPass : public impl::FoldBatchNormBase<FoldBatchNormPass> {
  void runOnOperation() override;

private:
  /// Why `bn` cannot be folded backwards into `layer`, or "" if it can.
  std::string backwardBlocker(BatchNormOp bn, const Layer &layer);
  std::string forwardBlocker(BatchNormOp bn, const Layer &layer,
                             const Affine *affine);
  void foldBackward(BatchNormOp bn, const Layer &layer, const Affine &affine);
  void foldForward(BatchNormOp bn, const Layer &layer, const Affine &affine);
  /// Folds `bn` into `layer` through a res.fold_bn_params op, for parameters
  /// that are not all bound: the folding then runs when they are.
  void foldBackwardAtRunTime(BatchNormOp bn, const Layer &layer);
  /// New weight and bias params for `layer`, cached so that a layer shared
  /// by several folds (an unrolled tied repeat) is folded once.
  std::pair<ParamOp, ParamOp> foldedParams(
      BatchNormOp bn, const Layer &layer, bool forward,
      llvm::function_ref<void(std::vector<double> &, std::vector<double> &)>
          compute);
  /// Replaces `layer` by a copy with `input` and new params, at `loc`, and
  /// returns its result.
  Value rebuild(const Layer &layer, Value input, ParamOp weight, ParamOp bias,
                Location loc);

  using CacheKey = std::pair<std::array<Operation *, 6>, bool>;
  std::map<CacheKey, std::pair<ParamOp, ParamOp>> cache;
  llvm::SmallPtrSet<Operation *, 16> maybeUnused;
  /// The module's params, looked up and created through one symbol table.
  std::optional<ParamTable> params;
};

std::string FoldBatchNormPass::backwardBlocker(BatchNormOp bn,
                                               const Layer &layer) {
  if (!bn.getInput().hasOneUse())
    return "the output of '" + layerName(layer.op) + "' has other users";
  return "";
}

std::string FoldBatchNormPass::forwardBlocker(BatchNormOp bn,
                                              const Layer &layer,
                                              const Affine *affine) {
  if (layer.input != bn.getResult())
    return "it feeds a parameter of '" + layerName(layer.op) + "'";
  if (!boundValues(layer.weight) || (layer.bias && !boundValues(layer.bias)))
    return "the parameters of '" + layerName(layer.op) +
           "' are supplied at run time (only a batch norm after a layer is "
           "folded at run time)";
  // Padding adds zeros after the norm; they would become -shift/scale
  // before it. Only a zero shift keeps the padded border exact.
  if (layer.hasPadding() && affine &&
      llvm::any_of(affine->shift, [](double t) { return t != 0; }))
    return "'" + layerName(layer.op) +
           "' after it pads its input, so folding would change the borders";
  return "";
}

std::pair<ParamOp, ParamOp> FoldBatchNormPass::foldedParams(
    BatchNormOp bn, const Layer &layer, bool forward,
    llvm::function_ref<void(std::vector<double> &, std::vector<double> &)>
        compute) {
  ParamOp weight = params->paramOf(layer.weight);
  ParamOp bias = layer.bias ? params->paramOf(layer.bias) : ParamOp();
  // Only bound params get here, so every entry but `bias` is non-null.
  CacheKey key = {{weight, bias, params->paramOf(bn.getWeight()),
                   params->paramOf(bn.getBias()),
                   params->paramOf(bn.getRunningMean()),
                   params->paramOf(bn.getRunningVar())},
                  forward};
  if (auto it = cache.find(key); it != cache.end())
    return it->second;

  std::vector<double> w = *boundValues(layer.weight), b;
  int64_t out = layer.weightType().getDimSize(0);
  b = layer.bias ? *boundValues(layer.bias) : std::vector<double>(out, 0.0);
  compute(w, b);

  ParamOp newWeight = params->createBoundParam(
      weight, weight.getSymName().str() + ".bn_folded", layer.weightType(), w);
  auto biasType =
      RankedTensorType::get({out}, layer.weightType().getElementType());
  ParamOp newBias = params->createBoundParam(
      newWeight, foldedBiasName(weight, bias), biasType, b);
  for (ParamOp created : {newWeight, newBias})
    created->setAttr(kFoldedBatchNormAttr,
                     StringAttr::get(bn.getContext(), layerName(bn)));
  cache[key] = {newWeight, newBias};
  return {newWeight, newBias};
}

Value FoldBatchNormPass::rebuild(const Layer &layer, Value input,
                                 ParamOp weight, ParamOp bias, Location loc) {
  OpBuilder builder(layer.op);
  // Weight before bias in the IR (argument order of evaluation is not).
  Value w = createWeight(builder, loc, weight);
  Value b = createWeight(builder, loc, bias);
  return rebuildLayer(builder, loc, layer.op, input, w, b);
}

void FoldBatchNormPass::foldBackward(BatchNormOp bn, const Layer &layer,
                                     const Affine &affine) {
  auto [weight, bias] =
      foldedParams(bn, layer, /*forward=*/false,
                   [&](std::vector<double> &w, std::vector<double> &b) {
                     size_t rowSize = w.size() / b.size();
                     for (size_t o = 0; o < b.size(); ++o) {
                       for (size_t j = 0; j < rowSize; ++j)
                         w[o * rowSize + j] *= affine.scale[o];
                       b[o] = b[o] * affine.scale[o] + affine.shift[o];
                     }
                   });
  Location loc =
      FusedLoc::get(&getContext(), {layer.op->getLoc(), bn.getLoc()});
  Value folded = rebuild(layer, layer.input, weight, bias, loc);
  bn.getResult().replaceAllUsesWith(folded);
  SmallVector<Value> operands(bn->getOperands().drop_front());
  operands.append({layer.weight, layer.bias});
  bn.erase();
  layer.op->erase();
  for (Value v : operands)
    eraseWeightReadIfUnused(v, maybeUnused);
  ++numFolded;
}

void FoldBatchNormPass::foldBackwardAtRunTime(BatchNormOp bn,
                                              const Layer &layer) {
  // Built where the batch norm is: its parameters are read there, and the
  // layer's input, which the rebuilt layer reads, is defined before it.
  OpBuilder builder(bn);
  Location loc =
      FusedLoc::get(&getContext(), {layer.op->getLoc(), bn.getLoc()});
  auto fold = builder.create<FoldBatchNormParamsOp>(
      loc, layer.weight.getType(),
      RankedTensorType::get({layer.weightType().getDimSize(0)},
                            layer.weightType().getElementType()),
      layer.weight, bn.getWeight(), bn.getBias(), bn.getRunningMean(),
      bn.getRunningVar(), layer.bias, bn.getEpsilonAttr());
  Value folded = rebuildLayer(builder, loc, layer.op, layer.input,
                              fold.getFoldedWeight(), fold.getFoldedBias());
  bn.getResult().replaceAllUsesWith(folded);
  bn.erase();
  layer.op->erase();
  ++numFoldedAtRunTime;
}

void FoldBatchNormPass::foldForward(BatchNormOp bn, const Layer &layer,
                                    const Affine &affine) {
  auto [weight, bias] =
      foldedParams(bn, layer, /*forward=*/true,
                   [&](std::vector<double> &w, std::vector<double> &b) {
                     // Row o reads the input channels of its group: column j of
                     // the row is channel group(o) * inPerGroup + j / taps.
                     RankedTensorType type = layer.weightType();
                     int64_t out = type.getDimSize(0),
                             inPerGroup = type.getDimSize(1);
                     int64_t rowSize = static_cast<int64_t>(w.size()) / out;
                     int64_t taps = rowSize / inPerGroup;
                     int64_t outPerGroup = out / layer.groups;
                     for (int64_t o = 0; o < out; ++o) {
                       int64_t first = (o / outPerGroup) * inPerGroup;
                       double shift = 0;
                       for (int64_t j = 0; j < rowSize; ++j) {
                         int64_t c = first + j / taps;
                         double &v = w[o * rowSize + j];
                         shift += v * affine.shift[c];
                         v *= affine.scale[c];
                       }
                       b[o] += shift;
                     }
                   });
  Location loc =
      FusedLoc::get(&getContext(), {bn.getLoc(), layer.op->getLoc()});
  Value folded = rebuild(layer, bn.getInput(), weight, bias, loc);
  layer.op->getResult(0).replaceAllUsesWith(folded);
  SmallVector<Value> operands(bn->getOperands().drop_front());
  operands.append({layer.weight, layer.bias});
  layer.op->erase();
  bn.erase();
  for (Value v : operands)
    eraseWeightReadIfUnused(v, maybeUnused);
  ++numFoldedForward;
}

void FoldBatchNormPass::runOnOperation() {
  params.emplace(getOperation());
  SmallVector<BatchNormOp> norms;
  getOperation().walk([&](BatchNormOp bn) { norms.push_back(bn); });
  for (BatchNormOp bn : norms) {
    auto keep = [&](const std::string &why) {
      bn.emitRemark() << "batch norm '" << layerName(bn)
                      << "' not folded: " << why;
      ++numKept;
    };
    // No attribute marks training mode yet; `training` is reserved for it.
    if (bn->hasAttr("training")) {
      keep("it is in training mode (batch statistics)");
      continue;
    }
    std::optional<Affine> affine = affineOf(bn);
    std::optional<Layer> before = Layer::of(bn.getInput().getDefiningOp());
    std::string why;
    if (before) {
      why = backwardBlocker(bn, *before);
      if (why.empty()) {
        bool bound = affine && boundValues(before->weight) &&
                     (!before->bias || boundValues(before->bias));
        if (bound)
          foldBackward(bn, *before, *affine);
        else
          foldBackwardAtRunTime(bn, *before);
        continue;
      }
    }
    // Folding forwards needs the layer to be the norm's only user.
    Operation *user = bn->hasOneUse() ? *bn->user_begin() : nullptr;
    std::optional<Layer> after = Layer::of(user);
    if (after) {
      std::string forwardWhy =
          forwardBlocker(bn, *after, affine ? &*affine : nullptr);
      if (forwardWhy.empty() && !affine)
        forwardWhy = "its parameters are supplied at run time (only a batch "
                     "norm after a layer is folded at run time)";
      if (forwardWhy.empty()) {
        foldForward(bn, *after, *affine);
        continue;
      }
      if (why.empty())
        why = forwardWhy;
    }
    if (why.empty()) {
      if (auto act = dyn_cast_or_null<ActivationOp>(user))
        why = "no convolution or dense layer feeds it, and the activation '" +
              layerName(act) + "' stands between it and the next one";
      else
        why = "no convolution or dense layer feeds it or is its only user";
    }
    keep(why);
  }
  eraseUnusedParams(getOperation(), maybeUnused);
}

} // namespace
} // namespace res
