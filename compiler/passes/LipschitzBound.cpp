// Lipschitz bounds over the res dialect (the rules are in LipschitzBound.h).
#include "compiler/passes/LipschitzBound.h"
#include "compiler/passes/OperatorNorm.h"
#include "compiler/passes/ParamValues.h"

#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <limits>
#include <numeric>

using namespace mlir;

namespace res {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

/// The largest slope of an activation: its Lipschitz constant.
double activationSlope(Activation kind) {
  switch (kind) {
  case Activation::sigmoid:
    return 0.25;
  case Activation::gelu:
    // At x = sqrt(2): 1.12898, rounded up.
    return 1.13;
  case Activation::hardsigmoid:
    return 1.0 / 6;
  case Activation::hardswish:
    // (2x + 3) / 6 on [-3, 3], largest at x = 3.
    return 1.5;
  case Activation::silu:
    // s(x) (1 + x (1 - s(x))) peaks at x = 2.3994: 1.09984, rounded up.
    return 1.1;
  case Activation::identity:
  case Activation::relu:
  case Activation::relu6:
  case Activation::tanh:
    return 1.0;
  }
  return kInf;
}

/// How many windows of size k, stride s and dilation d one input index
/// falls in: the taps j with j*d = r (mod s) for a fixed r.
int64_t overlap(int64_t k, int64_t s, int64_t d) {
  int64_t period = s / std::gcd(s, d);
  return (k + period - 1) / period;
}

double windowOverlap(ArrayRef<int64_t> kernel, ArrayRef<int64_t> stride,
                     ArrayRef<int64_t> dilation) {
  return double(overlap(kernel[0], stride[0], dilation[0]) *
                overlap(kernel[1], stride[1], dilation[1]));
}

} // namespace

std::string formatBound(double bound) {
  if (std::isinf(bound))
    return "inf";
  std::string s;
  llvm::raw_string_ostream os(s);
  os << llvm::format("%.4g", bound);
  return s;
}

double LipschitzAnalysis::weightNorm(Value weight, int64_t groups) {
  ParamOp param = paramOf(weight);
  auto key = std::make_pair(param.getOperation(), groups);
  if (param)
    if (auto it = normCache.find(key); it != normCache.end())
      return it->second;
  auto values = boundValues(param);
  if (!values)
    return kInf;
  auto shape = cast<RankedTensorType>(weight.getType()).getShape();
  // [out, rest...] as `groups` stacked [out/groups, prod(rest)] matrices.
  int64_t rows = shape[0] / groups;
  int64_t cols = static_cast<int64_t>(values->size()) / shape[0];
  double norm = 0;
  for (int64_t g = 0; g < groups; ++g) {
    ArrayRef<double> block(values->data() + g * rows * cols, rows * cols);
    NormBounds b = spectralNormBounds(block, rows, cols, options.iterations);
    norm = std::max(norm, options.method == NormMethod::Certified ? b.upper
                                                                  : b.lower);
  }
  if (param)
    normCache[key] = norm;
  return norm;
}

double LipschitzAnalysis::opBound(Operation *op) {
  // Dividing by each position's standard deviation has no finite global
  // bound: near a constant position the slope is about 1 / sqrt(epsilon).
  // Attention has none either: its softmax weights depend on the input, so
  // the output moves with the tokens' products, not linearly in them (Kim et
  // al. 2021, "The Lipschitz constant of self-attention").
  if (isa<LayerNormOp, AttentionOp>(op)) {
    if (unboundable)
      unboundable->push_back(layerName(op));
    return kInf;
  }
  double bound =
      llvm::TypeSwitch<Operation *, double>(op)
          .Case([&](Conv2DOp conv) {
            auto w = cast<RankedTensorType>(conv.getWeight().getType());
            double m = windowOverlap({w.getDimSize(2), w.getDimSize(3)},
                                     conv.getStride(), conv.getDilation());
            return std::sqrt(m) *
                   weightNorm(conv.getWeight(), conv.getGroups());
          })
          .Case([&](DenseOp dense) { return weightNorm(dense.getWeight(), 1); })
          .Case([&](BatchNormOp bn) {
            auto gamma = boundValues(bn.getWeight());
            auto var = boundValues(bn.getRunningVar());
            if (!gamma || !var)
              return kInf;
            double eps = bn.getEpsilon().convertToDouble(), best = 0;
            for (size_t c = 0; c < gamma->size(); ++c)
              best = std::max(best, std::abs((*gamma)[c]) /
                                        std::sqrt((*var)[c] + eps));
            return best;
          })
          .Case([&](ChannelScaleOp cs) {
            auto s = boundValues(cs.getScale());
            if (!s)
              return kInf;
            double best = 0;
            for (double v : *s)
              best = std::max(best, std::abs(v));
            return best;
          })
          .Case(
              [&](ActivationOp act) { return activationSlope(act.getKind()); })
          .Case([&](MaxPool2DOp pool) {
            return std::sqrt(
                windowOverlap(pool.getKernel(), pool.getStride(), {1, 1}));
          })
          .Case([&](AvgPool2DOp pool) {
            auto k = pool.getKernel();
            return std::sqrt(windowOverlap(k, pool.getStride(), {1, 1}) /
                             double(k[0] * k[1]));
          })
          .Case([&](GlobalAvgPoolOp pool) {
            auto t = cast<RankedTensorType>(pool.getInput().getType());
            if (t.isDynamicDim(2) || t.isDynamicDim(3))
              return 1.0;
            return 1 / std::sqrt(double(t.getDimSize(2) * t.getDimSize(3)));
          })
          .Case([&](UpsampleOp up) { return double(up.getFactor()); })
          // Moving or selecting elements, or adding constants, moves no
          // output further than its input.
          .Case<FlattenOp, ReshapeOp, SoftmaxOp, TokensOp, TokenOp,
                ClassTokenOp, PosEmbeddingOp>([](Operation *) { return 1.0; })
          .Default([](Operation *) { return kInf; });
  if (std::isinf(bound) && unknown)
    unknown->push_back(layerName(op));
  return bound;
}

double LipschitzAnalysis::propagate(Block &block, ArrayRef<double> argBounds,
                                    std::vector<BlockLipschitz> *blocks,
                                    int64_t applications,
                                    SmallVectorImpl<double> &results) {
  // L[v]: a bound on how much v moves per unit the block's arguments move.
  llvm::DenseMap<Value, double> bound;
  for (auto [arg, b] : llvm::zip(block.getArguments(), argBounds))
    bound[arg] = b;
  auto of = [&](Value v) {
    auto it = bound.find(v);
    return it == bound.end() ? kInf : it->second;
  };
  for (Operation &op : block) {
    if (op.hasTrait<OpTrait::IsTerminator>()) {
      for (Value v : op.getOperands())
        results.push_back(of(v));
      continue;
    }
    if (op.getNumResults() != 1)
      continue;
    Value result = op.getResult(0);
    double b =
        llvm::TypeSwitch<Operation *, double>(&op)
            .Case([](WeightOp) { return 0.0; })
            .Case(
                [&](AddOp add) { return of(add.getLhs()) + of(add.getRhs()); })
            .Case([&](ConcatOp cat) {
              return std::hypot(of(cat.getLhs()), of(cat.getRhs()));
            })
            .Case([&](ResidualOp residual) {
              BlockLipschitz entry;
              entry.block = residual;
              entry.name = layerName(residual);
              entry.applications = applications;
              size_t index = blocks ? blocks->size() : 0;
              if (blocks)
                blocks->push_back(entry); // outer before inner
              entry.branch =
                  regionBound(residual.getBranch(), blocks, applications);
              entry.shortcut = residual.hasIdentityShortcut()
                                   ? 1.0
                                   : regionBound(residual.getShortcut(), blocks,
                                                 applications);
              double afterBound = 1;
              if (auto after = residual.getAfter())
                afterBound = activationSlope(*after);
              entry.total =
                  afterBound *
                  std::abs(residual.getOutputScale().convertToDouble()) *
                  (entry.shortcut +
                   std::abs(residual.getBranchScale().convertToDouble()) *
                       entry.branch);
              if (blocks) {
                // Inner blocks are part of this block's bound already.
                for (size_t i = index + 1; i < blocks->size(); ++i)
                  (*blocks)[i].nested = true;
                (*blocks)[index] = entry;
              }
              return entry.total * of(residual.getInput());
            })
            .Case([&](RepeatOp repeat) {
              int64_t count = repeat.getCountAttr().getInt();
              double body =
                  regionBound(repeat.getBody(), blocks, applications * count);
              return std::pow(body, double(count)) * of(repeat.getInput());
            })
            .Default([&](Operation *other) {
              // Layers: one tensor input, the others are parameters.
              if (other->getNumOperands() == 0)
                return kInf;
              return opBound(other) * of(other->getOperand(0));
            });
    bound[result] = b;
  }
  return results.empty() ? kInf : results.front();
}

double LipschitzAnalysis::regionBound(Region &region,
                                      std::vector<BlockLipschitz> *blocks,
                                      int64_t applications) {
  if (region.empty())
    return 1.0;
  SmallVector<double> results;
  return propagate(region.front(), {1.0}, blocks, applications, results);
}

ModelLipschitz LipschitzAnalysis::analyze(func::FuncOp fn) {
  ModelLipschitz model;
  unknown = &model.unknown;
  unboundable = &model.unboundable;
  SmallVector<double> args(fn.getNumArguments(), 1.0), results;
  propagate(fn.front(), args, &model.blocks, 1, results);
  // With several inputs the sums above over-count, which keeps them bounds.
  model.network = 0;
  for (double r : results)
    model.network = std::max(model.network, r);
  for (const BlockLipschitz &b : model.blocks)
    if (!b.nested)
      model.blockProduct *= std::pow(b.total, double(b.applications));
  // The same layer may be met once per path; report it once.
  llvm::sort(model.unknown);
  model.unknown.erase(std::unique(model.unknown.begin(), model.unknown.end()),
                      model.unknown.end());
  llvm::sort(model.unboundable);
  model.unboundable.erase(
      std::unique(model.unboundable.begin(), model.unboundable.end()),
      model.unboundable.end());
  unknown = nullptr;
  unboundable = nullptr;
  return model;
}

ModelLipschitz computeLipschitz(func::FuncOp fn,
                                LipschitzBoundOptions options) {
  return LipschitzAnalysis(options).analyze(fn);
}

} // namespace res
