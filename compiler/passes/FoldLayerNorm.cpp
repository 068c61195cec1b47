// res-fold-layernorm: folds a layer norm's elementwise affine into the
// layer that is its only user (Passes.td has the contract). As in
// res-fold-bn, the arithmetic is in double and rounded to f32 once.
#include "compiler/passes/ParamValues.h"
#include "compiler/passes/Passes.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/STLExtras.h"

#include <array>
#include <map>

using namespace mlir;

namespace res {
#define GEN_PASS_DEF_FOLDLAYERNORM
#include "compiler/passes/Passes.h.inc"
} // namespace res

namespace res {
namespace {

/// The layer after a norm, seen through one interface: its input, and a
/// weight of `out` rows each reading the normalised features in order
/// (a dense layer, a 1x1 convolution, attention's input projection).
struct Consumer {
  Operation *op;
  Value input, weight, bias;

  static std::optional<Consumer> of(Operation *op) {
    if (auto dense = dyn_cast_or_null<DenseOp>(op))
      return Consumer{op, dense.getInput(), dense.getWeight(), dense.getBias()};
    if (auto conv = dyn_cast_or_null<Conv2DOp>(op))
      return Consumer{op, conv.getInput(), conv.getWeight(), conv.getBias()};
    if (auto attention = dyn_cast_or_null<AttentionOp>(op))
      return Consumer{op, attention.getInput(), attention.getInWeight(),
                      attention.getInBias()};
    return std::nullopt;
  }
  RankedTensorType weightType() const {
    return cast<RankedTensorType>(weight.getType());
  }
};

struct FoldLayerNormPass : public impl::FoldLayerNormBase<FoldLayerNormPass> {
  void runOnOperation() override;

private:
  /// Why `norm`'s affine cannot go into `layer`, or "" if it can.
  std::string blocker(LayerNormOp norm, const Consumer &layer);
  void fold(LayerNormOp norm, const Consumer &layer);
  /// The folded weight and bias of `layer`, cached so that a pair shared
  /// by several folds (an unrolled tied repeat) is folded once.
  std::pair<ParamOp, ParamOp> foldedParams(LayerNormOp norm,
                                           const Consumer &layer);
  /// A zero bias of `size` for attention's output projection when the
  /// folded input projection gains a bias (the op has both or neither).
  ParamOp zeroOutBias(AttentionOp attention, int64_t size);

  std::map<std::array<Operation *, 4>, std::pair<ParamOp, ParamOp>> cache;
  llvm::SmallPtrSet<Operation *, 16> maybeUnused;
  std::optional<ParamTable> params;
};

std::string FoldLayerNormPass::blocker(LayerNormOp norm,
                                       const Consumer &layer) {
  if (layer.input != norm.getResult())
    return "it feeds a parameter of '" + layerName(layer.op) + "'";
  if (auto conv = dyn_cast<Conv2DOp>(layer.op)) {
    RankedTensorType type = layer.weightType();
    if (conv.getGroups() != 1 || type.getDimSize(2) != 1 ||
        type.getDimSize(3) != 1)
      return "'" + layerName(conv) +
             "' after it is not a 1x1 convolution of one group, which "
             "mixes positions or splits the features";
    if (llvm::any_of(conv.getPadding(), [](int64_t p) { return p != 0; }))
      return "'" + layerName(conv) + "' after it pads its input";
  }
  if (!boundValues(layer.weight) || (layer.bias && !boundValues(layer.bias)))
    return "the parameters of '" + layerName(layer.op) +
           "' are supplied at run time";
  if (auto attention = dyn_cast<AttentionOp>(layer.op);
      attention && attention.getOutBias() &&
      !boundValues(attention.getOutBias()))
    return "the parameters of '" + layerName(attention) +
           "' are supplied at run time";
  return "";
}

std::pair<ParamOp, ParamOp>
FoldLayerNormPass::foldedParams(LayerNormOp norm, const Consumer &layer) {
  ParamOp weight = params->paramOf(layer.weight);
  ParamOp bias = layer.bias ? params->paramOf(layer.bias) : ParamOp();
  std::array<Operation *, 4> key = {weight, bias,
                                    params->paramOf(norm.getWeight()),
                                    params->paramOf(norm.getBias())};
  if (auto it = cache.find(key); it != cache.end())
    return it->second;

  // z = W (n * gamma + beta) + b = (W diag(gamma)) n + (W beta + b): row o
  // of W reads feature j at column j.
  std::vector<double> w = *boundValues(layer.weight);
  std::vector<double> gamma = *boundValues(norm.getWeight()),
                      beta = *boundValues(norm.getBias());
  int64_t out = layer.weightType().getDimSize(0);
  int64_t features = static_cast<int64_t>(gamma.size());
  std::vector<double> b =
      layer.bias ? *boundValues(layer.bias) : std::vector<double>(out, 0.0);
  for (int64_t o = 0; o < out; ++o)
    for (int64_t j = 0; j < features; ++j) {
      double &v = w[o * features + j];
      b[o] += v * beta[j];
      v *= gamma[j];
    }

  StringRef weightName = weight.getSymName();
  std::string biasName;
  if (bias) {
    biasName = bias.getSymName().str();
  } else {
    // "x.weight" -> "x.bias", "attn.in_proj_weight" -> "attn.in_proj_bias".
    StringRef stem = weightName;
    if (stem.consume_back("weight"))
      biasName = stem.str() + "bias";
    else
      biasName = weightName.str() + ".bias";
  }
  ParamOp newWeight = params->createBoundParam(
      weight, weightName.str() + ".ln_folded", layer.weightType(), w);
  auto biasType =
      RankedTensorType::get({out}, layer.weightType().getElementType());
  ParamOp newBias =
      params->createBoundParam(newWeight, biasName + ".ln_folded", biasType, b);
  for (ParamOp created : {newWeight, newBias})
    created->setAttr(kFoldedLayerNormAttr,
                     StringAttr::get(norm.getContext(), layerName(norm)));
  cache[key] = {newWeight, newBias};
  return {newWeight, newBias};
}

ParamOp FoldLayerNormPass::zeroOutBias(AttentionOp attention, int64_t size) {
  ParamOp outWeight = params->paramOf(attention.getOutWeight());
  StringRef stem = outWeight.getSymName();
  stem.consume_back("weight");
  auto type = RankedTensorType::get(
      {size}, cast<RankedTensorType>(outWeight.getType()).getElementType());
  ParamOp zero = params->createBoundParam(outWeight, stem.str() + "bias", type,
                                          std::vector<double>(size, 0.0));
  zero->setAttr(kFoldedLayerNormAttr,
                StringAttr::get(attention.getContext(), layerName(attention)));
  return zero;
}

void FoldLayerNormPass::fold(LayerNormOp norm, const Consumer &layer) {
  auto [weightParam, biasParam] = foldedParams(norm, layer);
  OpBuilder builder(layer.op);
  Location loc =
      FusedLoc::get(&getContext(), {norm.getLoc(), layer.op->getLoc()});
  // The norm without its affine, where it was.
  OpBuilder normBuilder(norm);
  Value plain = normBuilder.create<LayerNormOp>(
      norm.getLoc(), norm.getType(), norm.getInput(), Value(), Value(),
      norm.getEpsilonAttr(), norm.getLayerAttr());
  Value w = createWeight(builder, loc, weightParam);
  Value b = createWeight(builder, loc, biasParam);
  Value folded;
  if (auto attention = dyn_cast<AttentionOp>(layer.op)) {
    Value outBias = attention.getOutBias();
    if (!outBias)
      outBias = createWeight(
          builder, loc,
          zeroOutBias(
              attention,
              cast<RankedTensorType>(attention.getType()).getDimSize(2)));
    folded = builder.create<AttentionOp>(
        loc, attention.getType(), plain, w, b, attention.getOutWeight(),
        outBias, attention.getHeadsAttr(), attention.getLayerAttr());
  } else {
    folded = rebuildLayer(builder, loc, layer.op, plain, w, b);
  }
  layer.op->getResult(0).replaceAllUsesWith(folded);
  SmallVector<Value> operands = {norm.getWeight(), norm.getBias(), layer.weight,
                                 layer.bias};
  layer.op->erase();
  norm.erase();
  for (Value v : operands)
    eraseWeightReadIfUnused(v, maybeUnused);
  ++numFolded;
}

void FoldLayerNormPass::runOnOperation() {
  params.emplace(getOperation());
  SmallVector<LayerNormOp> norms;
  getOperation().walk([&](LayerNormOp norm) {
    if (norm.getWeight())
      norms.push_back(norm);
  });
  for (LayerNormOp norm : norms) {
    std::string why;
    Operation *user = norm->hasOneUse() ? *norm->user_begin() : nullptr;
    std::optional<Consumer> layer = Consumer::of(user);
    if (!boundValues(norm.getWeight()) || !boundValues(norm.getBias()))
      why = "its parameters are supplied at run time";
    else if (!layer)
      why = "its only user is not a dense layer, a 1x1 convolution or "
            "attention";
    else
      why = blocker(norm, *layer);
    if (!why.empty()) {
      norm.emitRemark() << "layer norm '" << layerName(norm)
                        << "' keeps its affine: " << why;
      ++numKept;
      continue;
    }
    fold(norm, *layer);
  }
  eraseUnusedParams(getOperation(), maybeUnused);
}

} // namespace
} // namespace res
