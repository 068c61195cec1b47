// Provable facts about values (see ValueFacts.h).
#include "compiler/passes/ValueFacts.h"
#include "compiler/passes/ParamValues.h"

#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;

namespace res {

namespace {

void setWhy(std::string *why, const std::string &text) {
  if (why)
    *why = text;
}

/// A batch norm's per-channel shift, bias - mean * weight / sqrt(var + eps),
/// is exactly zero: either mean and bias are 0 or weight and bias are.
bool hasZeroShift(BatchNormOp bn) {
  auto w = boundValues(bn.getWeight()), b = boundValues(bn.getBias()),
       m = boundValues(bn.getRunningMean());
  if (!w || !b || !m)
    return false;
  for (size_t c = 0; c < b->size(); ++c)
    if ((*b)[c] != 0 || ((*m)[c] != 0 && (*w)[c] != 0))
      return false;
  return true;
}

bool hasZeroBias(Value bias) { return !bias || isBoundZero(bias); }

/// Whether act(0) = 0: not for sigmoid and hardsigmoid (0.5).
bool keepsZero(Activation kind) {
  return kind != Activation::sigmoid && kind != Activation::hardsigmoid;
}

/// Whether every output of the activation is >= 0 (hardswish and silu dip
/// below 0).
bool nonNegative(Activation kind) {
  switch (kind) {
  case Activation::relu:
  case Activation::relu6:
  case Activation::sigmoid:
  case Activation::hardsigmoid:
    return true;
  default:
    return false;
  }
}

} // namespace

bool isProvablyZero(Value value, std::string *why) {
  Operation *def = value.getDefiningOp();
  if (!def) {
    // A residual region's argument is the block's input.
    auto arg = cast<BlockArgument>(value);
    if (auto residual = dyn_cast<ResidualOp>(arg.getOwner()->getParentOp()))
      return isProvablyZero(residual.getInput(), why);
    return false;
  }
  return llvm::TypeSwitch<Operation *, bool>(def)
      .Case([&](BatchNormOp bn) {
        if (isBoundZero(bn.getWeight()) && isBoundZero(bn.getBias())) {
          setWhy(why,
                 "batch norm '" + layerName(bn) + "' has zero weight and bias");
          return true;
        }
        // A zero input gives the shift, which may itself be zero.
        return hasZeroShift(bn) && isProvablyZero(bn.getInput(), why);
      })
      .Case<Conv2DOp, DenseOp>([&](auto layer) {
        if (!hasZeroBias(layer.getBias()))
          return false;
        if (isBoundZero(layer.getWeight())) {
          setWhy(why, "'" + layerName(layer) + "' has zero weight and bias");
          return true;
        }
        return isProvablyZero(layer.getInput(), why);
      })
      .Case([&](ActivationOp act) {
        return keepsZero(act.getKind()) && isProvablyZero(act.getInput(), why);
      })
      .Case([&](LayerNormOp ln) {
        if (ln.getWeight() && isBoundZero(ln.getWeight()) &&
            isBoundZero(ln.getBias())) {
          setWhy(why,
                 "layer norm '" + layerName(ln) + "' has zero weight and bias");
          return true;
        }
        // A zero input normalises to 0 at every position (its variance is
        // 0 and epsilon > 0), which the affine maps to the bias.
        return hasZeroBias(ln.getBias()) && isProvablyZero(ln.getInput(), why);
      })
      .Case([&](ChannelScaleOp cs) {
        if (isBoundZero(cs.getScale())) {
          setWhy(why, "channel_scale '" + layerName(cs) + "' has a zero scale");
          return true;
        }
        return isProvablyZero(cs.getInput(), why);
      })
      // x * gate is 0 where x is, whatever the gate.
      .Case<MaxPool2DOp, AvgPool2DOp, GlobalAvgPoolOp, FlattenOp, UpsampleOp,
            ReshapeOp, ChannelMulOp>(
          [&](auto op) { return isProvablyZero(op.getInput(), why); })
      .Case<AddOp, ConcatOp>([&](auto op) {
        return isProvablyZero(op.getLhs(), why) &&
               isProvablyZero(op.getRhs(), why);
      })
      .Default([](Operation *) { return false; });
}

bool isProvablyNonNegative(Value value) {
  Operation *def = value.getDefiningOp();
  if (!def) {
    auto arg = cast<BlockArgument>(value);
    if (auto residual = dyn_cast<ResidualOp>(arg.getOwner()->getParentOp()))
      return isProvablyNonNegative(residual.getInput());
    return false;
  }
  return llvm::TypeSwitch<Operation *, bool>(def)
      .Case([&](ActivationOp act) {
        return act.getKind() == Activation::identity
                   ? isProvablyNonNegative(act.getInput())
                   : nonNegative(act.getKind());
      })
      .Case<ResidualOp, FusedConv2DOp>([&](auto op) {
        std::optional<Activation> act;
        if constexpr (std::is_same_v<decltype(op), ResidualOp>)
          act = op.getAfter();
        else
          act = op.getActivation();
        return act && nonNegative(*act);
      })
      // Max pooling pads with -inf, average pooling with zeros: neither
      // brings in a negative value.
      .Case<MaxPool2DOp, AvgPool2DOp, GlobalAvgPoolOp, FlattenOp, UpsampleOp>(
          [&](auto op) { return isProvablyNonNegative(op.getInput()); })
      .Case<AddOp, ConcatOp>([&](auto op) {
        return isProvablyNonNegative(op.getLhs()) &&
               isProvablyNonNegative(op.getRhs());
      })
      .Case([&](SoftmaxOp) { return true; })
      .Default([](Operation *) { return false; });
}

bool mapsZeroToZero(Region &region, std::string *why) {
  for (Operation &op : region.getOps()) {
    std::string breaker;
    bool ok =
        llvm::TypeSwitch<Operation *, bool>(&op)
            .Case<Conv2DOp, DenseOp>(
                [&](auto layer) { return hasZeroBias(layer.getBias()); })
            // The residual operand is not a function of the region's
            // input that this walk follows.
            .Case([&](FusedConv2DOp fused) {
              auto act = fused.getActivation();
              return hasZeroBias(fused.getBias()) && !fused.getResidual() &&
                     (!act || keepsZero(*act));
            })
            .Case([&](BatchNormOp bn) { return hasZeroShift(bn); })
            // 0 normalises to 0 at every position, then gets the bias.
            .Case([&](LayerNormOp ln) { return hasZeroBias(ln.getBias()); })
            .Case([&](ActivationOp act) { return keepsZero(act.getKind()); })
            .Case([&](ResidualOp inner) {
              auto after = inner.getAfter();
              return (!after || keepsZero(*after)) &&
                     mapsZeroToZero(inner.getBranch(), why) &&
                     mapsZeroToZero(inner.getShortcut(), why);
            })
            .Case([&](RepeatOp inner) {
              return mapsZeroToZero(inner.getBody(), why);
            })
            // Softmax of 0 is uniform, not 0.
            .Case([&](SoftmaxOp) { return false; })
            // They add learned tokens and embeddings.
            .Case<ClassTokenOp, PosEmbeddingOp>(
                [](Operation *) { return false; })
            // Zero tokens attend uniformly to v = in_bias's third part,
            // which the output projection maps to W_out b_v + b_out.
            .Case([&](AttentionOp attn) {
              return hasZeroBias(attn.getInBias()) &&
                     hasZeroBias(attn.getOutBias());
            })
            .Default([](Operation *) { return true; });
    if (!ok) {
      if (why && why->empty())
        *why = "'" + layerName(&op) + "' does not map 0 to 0";
      return false;
    }
  }
  return true;
}

} // namespace res
