#include "compiler/codegen/Lowering.h"

#include "compiler/codegen/Kernels.h"

#include "dialect/ResDialect.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/TypeSwitch.h"

#include <map>

using namespace mlir;

namespace res {
namespace codegen {
namespace {

/// A kernel being assembled: its description, operand slots (placeholders
/// of -1 for parameters decided once the epilogue is known) and the value
/// its output currently stands for.
struct Pending {
  KernelDesc desc;
  std::vector<int> operands;
  Value last;
  Operation *anchor = nullptr;
  bool canFold = false; // conv and dense take a following BN into weights
  std::optional<BatchNormRef> folded;
};

class Lowerer {
public:
  Lowerer(func::FuncOp fn, Plan &plan, const LowerOptions &options)
      : fn(fn), plan(plan), options(options) {}
  LogicalResult run();

private:
  LogicalResult lowerBlock(Block &block, std::vector<Step> &steps);
  LogicalResult lowerOp(Operation *op, std::vector<Step> &steps);
  LogicalResult lowerResidual(ResidualOp op, std::vector<Step> &steps);
  LogicalResult lowerRepeat(RepeatOp op, std::vector<Step> &steps);

  // Training ops (the gradient design): single-result, pure, no fusion.
  /// The slot of `v`: an activation, or a parameter read as given.
  FailureOr<int> gradOperand(Value v, Operation *user);
  /// The whole static shape of an unbatched value.
  FailureOr<Dims> unbatchedDims(Value v, Operation *at);
  /// Adds a call of `desc` (its kind and attributes set) on `operands`;
  /// its result stands for `result` (or is an intermediate of `shape`).
  /// Returns the result slot.
  FailureOr<int> emitCall(KernelDesc desc, const std::vector<int> &operands,
                          Value result, Operation *op, std::vector<Step> &steps,
                          std::optional<Dims> shape = std::nullopt);
  LogicalResult lowerGrad(Operation *op, std::vector<Step> &steps);

  FailureOr<Dims> dims(Value v, Operation *at);
  /// A TokenView step from slot `from` to a new activation slot of dims
  /// `to` (the caller's [N, T, D] and the [D, 1, T] view); returns it.
  int tokenView(int from, const Dims &to, Location loc,
                const std::string &layer);
  FailureOr<int> activation(Value v, Operation *user);
  FailureOr<std::string> paramName(Value v, Operation *user, StringRef what);
  std::optional<BatchNormRef> batchNormRef(BatchNormOp bn);
  /// The parameter names of a conv or dense layer's weight and bias, and the
  /// batch norm folded into them when they come from res.fold_bn_params.
  struct LayerParams {
    std::string weight, bias;
    std::optional<BatchNormRef> folded;
  };
  FailureOr<LayerParams> layerParams(Value weight, Value bias, Operation *user,
                                     StringRef what);
  LogicalResult lowerConv(Operation *op, Value input, Value weight, Value bias,
                          const std::vector<EpilogueStage> &epilogue,
                          std::vector<int> epilogueOperands,
                          std::vector<Step> &steps);
  int paramSlot(const PackRecipe &recipe, Dims extents);
  /// The slot of parameter `v` read as given (C order, Halide dims
  /// reversed): a layer norm's weight or bias, a channel scale.
  FailureOr<int> rawParam(Value v, Operation *user, StringRef what);
  int kernelId(const KernelDesc &desc);
  bool available(Value other, Operation *anchor);

  /// Grows `p`'s epilogue over single-use pointwise consumers.
  void extend(Pending &p);
  /// Adds the call of `p` to `steps`; its result is a fresh activation.
  LogicalResult emit(Pending &p, std::vector<Step> &steps);
  Pending start(KernelKind kind, Operation *anchor, std::vector<int> operands);

  func::FuncOp fn;
  Plan &plan;
  const LowerOptions options;
  llvm::DenseMap<Value, int> slotOf;
  llvm::DenseSet<Operation *> absorbed;
  llvm::DenseSet<Operation *> fusedResiduals;
  std::map<std::string, int> kernelIds, paramIds;
};

FailureOr<Dims> Lowerer::dims(Value v, Operation *at) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  if (!type || type.getRank() < 2)
    return at->emitOpError("the Halide backend needs activations of rank 2 "
                           "or more with the batch first, got ")
           << v.getType();
  Dims d;
  for (int64_t i = 1; i < type.getRank(); ++i) {
    if (type.isDynamicDim(i))
      return at->emitOpError("the Halide backend needs every dimension but "
                             "the batch to be static, got ")
             << v.getType();
    d.push_back(type.getDimSize(i));
  }
  // Tokens [N, T, D] are computed as images of D channels, 1 row and T
  // columns: the same memory (TokenKernels.cpp), and every kernel that
  // works per pixel over channels works per token over features.
  if (d.size() == 2 && type.getRank() == 3)
    return Dims{d[1], 1, d[0]};
  return d;
}

/// Whether `v` is a token tensor [N, T, D].
static bool isTokens(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  return type && type.getRank() == 3;
}

FailureOr<int> Lowerer::activation(Value v, Operation *user) {
  auto it = slotOf.find(v);
  if (it == slotOf.end())
    return user->emitOpError("the Halide backend supports parameters only as "
                             "weights, biases and batch-norm statistics");
  if (!plan.slots[it->second].batched)
    return user->emitOpError("the Halide backend needs a tensor with a batch "
                             "dimension here, not a per-channel statistic or "
                             "weight gradient");
  return it->second;
}

FailureOr<std::string> Lowerer::paramName(Value v, Operation *user,
                                          StringRef what) {
  auto w = v.getDefiningOp<WeightOp>();
  if (!w)
    return user->emitOpError("the Halide backend needs the ")
           << what << " to be a parameter (res.weight)";
  return w.getParam().str();
}

std::optional<BatchNormRef> Lowerer::batchNormRef(BatchNormOp bn) {
  BatchNormRef ref;
  auto name = [](Value v) -> std::optional<std::string> {
    if (auto w = v.getDefiningOp<WeightOp>())
      return w.getParam().str();
    return std::nullopt;
  };
  auto g = name(bn.getWeight()), b = name(bn.getBias()),
       m = name(bn.getRunningMean()), var = name(bn.getRunningVar());
  if (!g || !b || !m || !var)
    return std::nullopt;
  ref.weight = *g;
  ref.bias = *b;
  ref.mean = *m;
  ref.var = *var;
  ref.epsilon = bn.getEpsilon().convertToDouble();
  return ref;
}

FailureOr<Lowerer::LayerParams> Lowerer::layerParams(Value weight, Value bias,
                                                     Operation *user,
                                                     StringRef what) {
  LayerParams lp;
  auto fold = weight.getDefiningOp<FoldBatchNormParamsOp>();
  if (fold) {
    // Folded when the parameters are packed: the same recipe the codegen
    // uses for a batch norm it fuses into the layer itself.
    if (bias != fold.getFoldedBias())
      return user->emitOpError("the Halide backend needs the weight and bias "
                               "of one res.fold_bn_params");
    auto w = paramName(fold.getWeight(), user, (what + " weight").str());
    if (failed(w))
      return failure();
    lp.weight = *w;
    if (fold.getBias()) {
      auto b = paramName(fold.getBias(), user, (what + " bias").str());
      if (failed(b))
        return failure();
      lp.bias = *b;
    }
    BatchNormRef ref;
    for (auto [name, value] :
         {std::pair<std::string *, Value>{&ref.weight, fold.getGamma()},
          {&ref.bias, fold.getBeta()},
          {&ref.mean, fold.getMean()},
          {&ref.var, fold.getVar()}}) {
      auto n = paramName(value, user, "batch-norm parameter");
      if (failed(n))
        return failure();
      *name = *n;
    }
    ref.epsilon = fold.getEpsilon().convertToDouble();
    lp.folded = ref;
    return lp;
  }
  auto w = paramName(weight, user, (what + " weight").str());
  if (failed(w))
    return failure();
  lp.weight = *w;
  if (bias) {
    auto b = paramName(bias, user, (what + " bias").str());
    if (failed(b))
      return failure();
    lp.bias = *b;
  }
  return lp;
}

int Lowerer::paramSlot(const PackRecipe &recipe, Dims extents) {
  auto [it, inserted] = paramIds.try_emplace(recipe.key(), 0);
  if (!inserted)
    return it->second;
  Slot slot;
  slot.kind = Slot::Param;
  slot.dims = std::move(extents);
  slot.index = int(plan.params.size());
  plan.params.push_back(recipe);
  it->second = plan.addSlot(slot);
  return it->second;
}

FailureOr<int> Lowerer::rawParam(Value v, Operation *user, StringRef what) {
  auto name = paramName(v, user, what);
  if (failed(name))
    return failure();
  auto type = cast<RankedTensorType>(v.getType());
  PackRecipe raw;
  raw.kind = PackRecipe::Raw;
  raw.weight = *name;
  return paramSlot(raw, Dims(type.getShape().rbegin(), type.getShape().rend()));
}

int Lowerer::kernelId(const KernelDesc &desc) {
  auto [it, inserted] =
      kernelIds.try_emplace(desc.key(), int(plan.kernels.size()));
  if (inserted)
    plan.kernels.push_back(desc);
  return it->second;
}

/// Whether `other` is computed before `anchor` runs: defined in a block
/// that encloses the anchor, before the anchor's ancestor op there.
bool Lowerer::available(Value other, Operation *anchor) {
  Block *block = other.getParentBlock();
  if (!block)
    return false;
  Operation *ancestor = block->findAncestorOpInBlock(*anchor);
  if (!ancestor)
    return false;
  if (isa<BlockArgument>(other))
    return true;
  Operation *def = other.getDefiningOp();
  return def != ancestor && def->isBeforeInBlock(ancestor);
}

Pending Lowerer::start(KernelKind kind, Operation *anchor,
                       std::vector<int> operands) {
  Pending p;
  p.desc.kind = kind;
  p.operands = std::move(operands);
  p.anchor = anchor;
  p.last = anchor->getResult(0);
  return p;
}

void Lowerer::extend(Pending &p) {
  auto addOperand = [&](int slot) {
    p.operands.push_back(slot);
    return int(p.operands.size()) - 1;
  };
  while (p.last.hasOneUse()) {
    Operation *user = *p.last.getUsers().begin();
    EpilogueStage stage;
    if (auto bn = dyn_cast<BatchNormOp>(user)) {
      std::optional<BatchNormRef> ref = batchNormRef(bn);
      if (bn.getInput() != p.last || !ref)
        break;
      if (p.canFold && !p.folded && p.desc.epilogue.empty()) {
        p.folded = ref;
      } else {
        auto d = *dims(p.last, user);
        const int64_t channels = d[0];
        PackRecipe scale{PackRecipe::BatchNormScale, "", "", ref, channels};
        PackRecipe shift{PackRecipe::BatchNormShift, "", "", ref, channels};
        stage.kind = EpilogueStage::Affine;
        stage.operand = addOperand(paramSlot(scale, {channels}));
        addOperand(paramSlot(shift, {channels}));
        p.desc.epilogue.push_back(stage);
      }
    } else if (auto cs = dyn_cast<ChannelScaleOp>(user)) {
      // A layer scale: an unfolded batch norm with no shift.
      if (cs.getInput() != p.last || !cs.getScale().getDefiningOp<WeightOp>())
        break;
      auto scale = rawParam(cs.getScale(), user, "scale");
      if (failed(scale))
        break;
      stage.kind = EpilogueStage::ChannelScale;
      stage.operand = addOperand(*scale);
      p.desc.epilogue.push_back(stage);
    } else if (auto act = dyn_cast<ActivationOp>(user)) {
      stage.kind = EpilogueStage::Act;
      stage.act = act.getKind();
      p.desc.epilogue.push_back(stage);
    } else if (auto add = dyn_cast<AddOp>(user)) {
      Value other;
      if (add.getLhs() == p.last && add.getRhs() != p.last)
        other = add.getRhs();
      else if (add.getRhs() == p.last && add.getLhs() != p.last &&
               add.getLhs().getType() == add.getRhs().getType())
        other = add.getLhs();
      else
        break;
      auto slot = slotOf.find(other);
      if (slot == slotOf.end() || !available(other, p.anchor))
        break;
      stage.kind = EpilogueStage::Combine;
      stage.operand = addOperand(slot->second);
      p.desc.epilogue.push_back(stage);
    } else if (auto yield = dyn_cast<YieldOp>(user)) {
      // The end of a residual branch: the block's sum and after-activation.
      auto residual = dyn_cast<ResidualOp>(yield->getParentOp());
      if (!residual || yield->getParentRegion() != &residual.getBranch())
        break;
      Value shortcut =
          residual.hasIdentityShortcut()
              ? residual.getInput()
              : cast<YieldOp>(residual.getShortcut().front().getTerminator())
                    .getValue();
      auto slot = slotOf.find(shortcut);
      if (slot == slotOf.end())
        break;
      const double os = residual.getOutputScale().convertToDouble();
      const double bs = residual.getBranchScale().convertToDouble();
      stage.kind = EpilogueStage::Combine;
      stage.operand = addOperand(slot->second);
      stage.selfScale = os * bs;
      stage.otherScale = os;
      p.desc.epilogue.push_back(stage);
      if (auto after = residual.getAfter()) {
        EpilogueStage act;
        act.kind = EpilogueStage::Act;
        act.act = *after;
        p.desc.epilogue.push_back(act);
      }
      fusedResiduals.insert(residual);
      p.last = residual.getResult();
      continue;
    } else {
      break;
    }
    absorbed.insert(user);
    p.last = user->getResult(0);
  }
}

LogicalResult Lowerer::emit(Pending &p, std::vector<Step> &steps) {
  auto resultDims = dims(p.last, p.anchor);
  if (failed(resultDims))
    return failure();
  p.desc.result = *resultDims;
  p.desc.operands.clear();
  for (int s : p.operands) {
    const Slot &slot = plan.slots[s];
    Operand o;
    o.batched = slot.kind != Slot::Param;
    o.dims = slot.dims;
    p.desc.operands.push_back(o);
  }
  Slot result;
  result.kind = Slot::Activation;
  result.dims = *resultDims;
  int r = plan.addSlot(result);
  slotOf[p.last] = r;

  Step step;
  step.kind = Step::Call;
  step.kernel = kernelId(p.desc);
  step.operands = p.operands;
  step.result = r;
  step.loc = p.anchor->getLoc();
  if (auto layer = p.anchor->getAttrOfType<StringAttr>("layer"))
    step.layer = layer.getValue().str();
  steps.push_back(std::move(step));
  return success();
}

LogicalResult Lowerer::lowerBlock(Block &block, std::vector<Step> &steps) {
  for (Operation &op : block) {
    if (op.hasTrait<OpTrait::IsTerminator>())
      return success();
    if (absorbed.contains(&op))
      continue;
    if (failed(lowerOp(&op, steps)))
      return failure();
  }
  return success();
}

LogicalResult Lowerer::lowerConv(Operation *op, Value input, Value weight,
                                 Value bias,
                                 const std::vector<EpilogueStage> &epilogue,
                                 std::vector<int> epilogueOperands,
                                 std::vector<Step> &steps) {
  auto in = activation(input, op);
  auto inDims = dims(input, op);
  auto lp = layerParams(weight, bias, op, "conv");
  if (failed(in) || failed(inDims) || failed(lp))
    return failure();
  struct Window {
    ArrayRef<int64_t> stride, padding, dilation;
    int64_t groups;
  };
  auto window = [](auto c) {
    return Window{c.getStride(), c.getPadding(), c.getDilation(),
                  int64_t(c.getGroups())};
  };
  // A dense layer on [N, C, H, W] is a 1x1 convolution whose [O, I] weight
  // has the memory of [O, I, 1, 1].
  static const int64_t ones[] = {1, 1}, zeros[] = {0, 0};
  Window win{ones, zeros, ones, 1};
  if (auto c = dyn_cast<Conv2DOp>(op))
    win = window(c);
  else if (auto f = dyn_cast<FusedConv2DOp>(op))
    win = window(f);
  SmallVector<int64_t, 4> w(
      cast<RankedTensorType>(weight.getType()).getShape());
  w.resize(4, 1);
  std::vector<int> operands = {*in, -1, -1};
  operands.insert(operands.end(), epilogueOperands.begin(),
                  epilogueOperands.end());
  Pending p = start(KernelKind::Conv, op, std::move(operands));
  // A batch norm after the conv is folded into its packed weights unless
  // res-fold-bn already folded one there, or an epilogue comes first.
  p.canFold = !lp->folded;
  p.desc.kernel = {w[2], w[3]};
  p.desc.stride = {win.stride[0], win.stride[1]};
  p.desc.padding = {win.padding[0], win.padding[1]};
  p.desc.dilation = {win.dilation[0], win.dilation[1]};
  p.desc.groups = win.groups;
  p.desc.epilogue = epilogue;
  extend(p);
  auto folded = lp->folded ? lp->folded : p.folded;
  auto outDims = dims(op->getResult(0), op);
  if (failed(outDims))
    return failure();
  p.desc.winograd = options.cpu && useWinograd(p.desc, *inDims, *outDims);
  // A conv whose result may overwrite a residual of the same shape saves
  // the output's separate stream of memory traffic; that pays where the
  // traffic bounds the layer, i.e. few multiply-adds per output value
  // (resnet50's 1x1 expansions at batch 8, one core: 64 input channels
  // 120 -> 180 GFLOP/s, 128: 143 -> 195, 512: +7%). With 256 (its
  // 14x14 expansions) the exact tiles it needs lost 30%, so the rule is
  // at most 128. The Winograd kernel's shifted tile groups would read
  // their own output.
  const int64_t macsPerOutput = w[1] * w[2] * w[3];
  if (options.cpu && !p.desc.winograd && macsPerOutput <= 128 &&
      rowSplitsIntoTiles(int((*outDims)[2])))
    for (const EpilogueStage &stage : p.desc.epilogue) {
      if (stage.kind != EpilogueStage::Combine)
        continue;
      const Slot &other = plan.slots[p.operands[stage.operand]];
      if (other.kind == Slot::Activation && other.batched &&
          other.dims == *outDims) {
        p.desc.inPlaceOperand = stage.operand;
        break;
      }
    }
  PackRecipe wr{p.desc.winograd ? PackRecipe::WinogradWeight
                                : PackRecipe::ConvWeight,
                lp->weight, "", folded, w[0]};
  PackRecipe br{PackRecipe::Bias, "", lp->bias, folded, w[0]};
  // The Winograd filter is 4x4 (U = G g G^T).
  const int64_t kx = p.desc.winograd ? 4 : w[3],
                ky = p.desc.winograd ? 4 : w[2];
  p.operands[1] = paramSlot(wr, packedConvWeightDims(w[0], w[1], kx, ky));
  p.operands[2] = paramSlot(br, {w[0]});
  return emit(p, steps);
}

LogicalResult Lowerer::lowerOp(Operation *op, std::vector<Step> &steps) {
  auto operand = [&](Value v) { return activation(v, op); };

  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](WeightOp) { return success(); })
      .Case([&](FoldBatchNormParamsOp) { return success(); })
      .Case([&](Conv2DOp c) -> LogicalResult {
        return lowerConv(op, c.getInput(), c.getWeight(), c.getBias(), {}, {},
                         steps);
      })
      .Case([&](FusedConv2DOp c) -> LogicalResult {
        std::vector<EpilogueStage> epilogue;
        std::vector<int> operands;
        if (Value r = c.getResidual()) {
          auto slot = operand(r);
          if (failed(slot))
            return failure();
          EpilogueStage sum;
          sum.kind = EpilogueStage::Combine;
          sum.operand = 3; // after input, weight and bias
          sum.selfScale = c.getConvScale().convertToDouble();
          sum.otherScale = c.getResidualScale().convertToDouble();
          epilogue.push_back(sum);
          operands.push_back(*slot);
        }
        if (auto act = c.getActivation()) {
          EpilogueStage stage;
          stage.kind = EpilogueStage::Act;
          stage.act = *act;
          epilogue.push_back(stage);
        }
        return lowerConv(op, c.getInput(), c.getWeight(), c.getBias(), epilogue,
                         operands, steps);
      })
      .Case([&](DenseOp d) -> LogicalResult {
        if (cast<RankedTensorType>(d.getInput().getType()).getRank() != 2)
          return lowerConv(op, d.getInput(), d.getWeight(), d.getBias(), {}, {},
                           steps);
        auto in = operand(d.getInput());
        auto lp = layerParams(d.getWeight(), d.getBias(), op, "dense");
        if (failed(in) || failed(lp))
          return failure();
        auto w = cast<RankedTensorType>(d.getWeight().getType()).getShape();
        Pending p = start(KernelKind::Dense, op, {*in, -1, -1});
        p.canFold = !lp->folded;
        extend(p);
        auto folded = lp->folded ? lp->folded : p.folded;
        PackRecipe wr{PackRecipe::DenseWeight, lp->weight, "", folded, w[0]};
        PackRecipe br{PackRecipe::Bias, "", lp->bias, folded, w[0]};
        p.operands[1] = paramSlot(wr, {w[0], w[1]});
        p.operands[2] = paramSlot(br, {w[0]});
        return emit(p, steps);
      })
      .Case([&](BatchNormOp bn) -> LogicalResult {
        auto in = operand(bn.getInput());
        auto d = dims(bn.getInput(), op);
        if (failed(in) || failed(d))
          return failure();
        std::optional<BatchNormRef> ref = batchNormRef(bn);
        if (!ref) // training: batch statistics computed by the function
          return lowerGrad(op, steps);
        Pending p = start(KernelKind::Elementwise, op, {*in});
        const int64_t channels = (*d)[0];
        PackRecipe scale{PackRecipe::BatchNormScale, "", "", ref, channels};
        PackRecipe shift{PackRecipe::BatchNormShift, "", "", ref, channels};
        EpilogueStage stage;
        stage.kind = EpilogueStage::Affine;
        stage.operand = 1;
        p.operands.push_back(paramSlot(scale, {channels}));
        p.operands.push_back(paramSlot(shift, {channels}));
        p.desc.epilogue.push_back(stage);
        extend(p);
        return emit(p, steps);
      })
      .Case([&](ActivationOp a) -> LogicalResult {
        auto in = operand(a.getInput());
        if (failed(in) || failed(dims(a.getInput(), op)))
          return failure();
        Pending p = start(KernelKind::Elementwise, op, {*in});
        EpilogueStage stage;
        stage.kind = EpilogueStage::Act;
        stage.act = a.getKind();
        p.desc.epilogue.push_back(stage);
        extend(p);
        return emit(p, steps);
      })
      .Case([&](ChannelMulOp m) -> LogicalResult {
        auto in = operand(m.getInput());
        auto gate = operand(m.getGate());
        if (failed(in) || failed(gate) || failed(dims(m.getInput(), op)))
          return failure();
        Pending p = start(KernelKind::Elementwise, op, {*in, *gate});
        EpilogueStage stage;
        stage.kind = EpilogueStage::Gate;
        stage.operand = 1;
        p.desc.epilogue.push_back(stage);
        extend(p);
        return emit(p, steps);
      })
      .Case([&](ChannelScaleOp s) -> LogicalResult {
        // On its own (nothing before it to fuse into): element-wise.
        auto in = operand(s.getInput());
        if (failed(in) || failed(dims(s.getInput(), op)))
          return failure();
        auto scale = rawParam(s.getScale(), op, "channel_scale's scale");
        if (failed(scale))
          return failure();
        Pending p = start(KernelKind::Elementwise, op, {*in, *scale});
        EpilogueStage stage;
        stage.kind = EpilogueStage::ChannelScale;
        stage.operand = 1;
        p.desc.epilogue.push_back(stage);
        extend(p);
        return emit(p, steps);
      })
      .Case([&](LayerNormOp ln) -> LogicalResult {
        auto in = operand(ln.getInput());
        if (failed(in) || failed(dims(ln.getInput(), op)))
          return failure();
        std::vector<int> operands = {*in};
        if (ln.getWeight()) {
          auto w = rawParam(ln.getWeight(), op, "layer norm's weight");
          auto b = rawParam(ln.getBias(), op, "layer norm's bias");
          if (failed(w) || failed(b))
            return failure();
          operands.push_back(*w);
          operands.push_back(*b);
        }
        Pending p = start(KernelKind::LayerNorm, op, std::move(operands));
        p.desc.real = ln.getEpsilon().convertToDouble();
        p.desc.affine = bool(ln.getWeight());
        extend(p);
        return emit(p, steps);
      })
      .Case([&](AddOp a) -> LogicalResult {
        auto unbatched = [&](Value v) {
          auto known = slotOf.find(v);
          return known != slotOf.end() && !plan.slots[known->second].batched;
        };
        if (unbatched(a.getLhs()) || unbatched(a.getRhs()))
          return lowerGrad(op, steps); // gradients of a shared parameter
        auto lhs = operand(a.getLhs());
        auto rhs = operand(a.getRhs());
        if (failed(lhs) || failed(rhs) || failed(dims(a.getLhs(), op)))
          return failure();
        Pending p = start(KernelKind::Elementwise, op, {*lhs, *rhs});
        EpilogueStage stage;
        stage.kind = EpilogueStage::Combine;
        stage.operand = 1;
        p.desc.epilogue.push_back(stage);
        extend(p);
        return emit(p, steps);
      })
      .Case<MaxPool2DOp, AvgPool2DOp>([&](auto pool) -> LogicalResult {
        auto in = operand(pool.getInput());
        if (failed(in))
          return failure();
        Pending p = start(isa<MaxPool2DOp>(op) ? KernelKind::MaxPool
                                               : KernelKind::AvgPool,
                          op, {*in});
        p.desc.kernel = {pool.getKernel()[0], pool.getKernel()[1]};
        p.desc.stride = {pool.getStride()[0], pool.getStride()[1]};
        p.desc.padding = {pool.getPadding()[0], pool.getPadding()[1]};
        return emit(p, steps);
      })
      .Case([&](TokensOp t) -> LogicalResult {
        auto in = operand(t.getInput());
        if (failed(in))
          return failure();
        Pending p = start(KernelKind::TokenView, op, {*in});
        return emit(p, steps);
      })
      .Case<ClassTokenOp, PosEmbeddingOp>([&](auto o) -> LogicalResult {
        auto in = operand(o.getInput());
        auto param = rawParam(o->getOperand(1), op, "learned tokens");
        if (failed(in) || failed(param))
          return failure();
        Pending p = start(isa<ClassTokenOp>(op) ? KernelKind::ClassToken
                                                : KernelKind::PosEmbedding,
                          op, {*in, *param});
        return emit(p, steps);
      })
      .Case([&](TokenOp t) -> LogicalResult {
        auto in = operand(t.getInput());
        if (failed(in))
          return failure();
        Pending p = start(KernelKind::TokenSelect, op, {*in});
        p.desc.offset = t.getIndex();
        return emit(p, steps);
      })
      .Case([&](AttentionHeadsOp a) -> LogicalResult {
        auto in = operand(a.getInput());
        if (failed(in))
          return failure();
        Pending p = start(KernelKind::AttentionHeads, op, {*in});
        p.desc.groups = a.getHeads();
        return emit(p, steps);
      })
      .Case<GlobalAvgPoolOp, SoftmaxOp, FlattenOp>(
          [&](auto o) -> LogicalResult {
            // Their kernels read C order over the logical dims, which a
            // token tensor's [D, 1, T] view does not have.
            if (isTokens(o.getInput()))
              return op->emitOpError("on tokens [N, T, D] is not supported "
                                     "by the Halide backend yet; run it on "
                                     "the reference interpreter "
                                     "(resc run --interpret)");
            auto in = operand(o.getInput());
            if (failed(in))
              return failure();
            KernelKind kind = isa<GlobalAvgPoolOp>(op)
                                  ? KernelKind::GlobalAvgPool
                              : isa<SoftmaxOp>(op) ? KernelKind::Softmax
                                                   : KernelKind::Flatten;
            Pending p = start(kind, op, {*in});
            return emit(p, steps);
          })
      .Case([&](UpsampleOp u) -> LogicalResult {
        auto in = operand(u.getInput());
        if (failed(in))
          return failure();
        Pending p = start(KernelKind::Upsample, op, {*in});
        p.desc.factor = u.getFactor();
        return emit(p, steps);
      })
      .Case([&](ConcatOp c) -> LogicalResult {
        auto lhs = operand(c.getLhs());
        auto rhs = operand(c.getRhs());
        if (failed(lhs) || failed(rhs))
          return failure();
        Pending p = start(KernelKind::Concat, op, {*lhs, *rhs});
        return emit(p, steps);
      })
      .Case<ChannelMeanOp, ChannelVarOp, LerpOp, BatchNormGradOp,
            BatchNormGradGammaOp, ChannelSumOp, Conv2DGradInputOp,
            Conv2DGradWeightOp, DenseGradInputOp, DenseGradWeightOp,
            ActivationGradOp, MaxPool2DGradOp, AvgPool2DGradOp,
            GlobalAvgPoolGradOp, ReshapeOp, UpsampleGradOp, SliceChannelsOp,
            ScaleOp, SoftmaxGradOp, ChannelMulGradGateOp, LayerNormGradOp,
            LayerNormGradWeightOp, ChannelScaleGradScaleOp, TokensGradOp,
            ClassTokenGradOp, TokenBatchSumOp, TokenGradOp,
            AttentionHeadsGradOp>(
          [&](Operation *) { return lowerGrad(op, steps); })
      .Case([&](ResidualOp r) { return lowerResidual(r, steps); })
      .Case([&](RepeatOp r) { return lowerRepeat(r, steps); })
      .Default([&](Operation *) -> LogicalResult {
        return op->emitOpError("is not supported by the Halide backend");
      });
}

LogicalResult Lowerer::lowerResidual(ResidualOp op, std::vector<Step> &steps) {
  auto in = activation(op.getInput(), op);
  if (failed(in))
    return failure();
  // The shortcut first, so that the branch's last kernel can add it.
  Value shortcut = op.getInput();
  if (!op.hasIdentityShortcut()) {
    Block &block = op.getShortcut().front();
    slotOf[block.getArgument(0)] = *in;
    if (failed(lowerBlock(block, steps)))
      return failure();
    shortcut = cast<YieldOp>(block.getTerminator()).getValue();
  }
  Block &branch = op.getBranch().front();
  slotOf[branch.getArgument(0)] = *in;
  if (failed(lowerBlock(branch, steps)))
    return failure();
  if (fusedResiduals.contains(op))
    return success();

  // Not absorbed (the branch ends in a pool or is the identity): an
  // elementwise kernel computes the sum.
  Value f = cast<YieldOp>(branch.getTerminator()).getValue();
  auto fs = activation(f, op);
  auto ss = activation(shortcut, op);
  if (failed(fs) || failed(ss) || failed(dims(op.getResult(), op)))
    return failure();
  Pending p = start(KernelKind::Elementwise, op, {*fs, *ss});
  EpilogueStage sum;
  sum.kind = EpilogueStage::Combine;
  sum.operand = 1;
  sum.otherScale = op.getOutputScale().convertToDouble();
  sum.selfScale = sum.otherScale * op.getBranchScale().convertToDouble();
  p.desc.epilogue.push_back(sum);
  if (auto after = op.getAfter()) {
    EpilogueStage act;
    act.kind = EpilogueStage::Act;
    act.act = *after;
    p.desc.epilogue.push_back(act);
  }
  extend(p);
  return emit(p, steps);
}

LogicalResult Lowerer::lowerRepeat(RepeatOp op, std::vector<Step> &steps) {
  auto in = activation(op.getInput(), op);
  auto d = dims(op.getInput(), op);
  if (failed(in) || failed(d))
    return failure();
  Step loop;
  loop.kind = Step::Loop;
  loop.count = op.getCountAttr().getInt();
  loop.input = *in;
  loop.loc = op.getLoc();
  if (auto layer = op->getAttrOfType<StringAttr>("layer"))
    loop.layer = layer.getValue().str();
  Slot buffer;
  buffer.kind = Slot::Activation;
  buffer.dims = *d;
  loop.arg = plan.addSlot(buffer);

  Block &body = op.getBody().front();
  slotOf[body.getArgument(0)] = loop.arg;
  if (failed(lowerBlock(body, loop.body)))
    return failure();
  Value yielded = cast<YieldOp>(body.getTerminator()).getValue();
  auto ys = activation(yielded, op);
  if (failed(ys))
    return failure();
  // The yield must be a buffer the body itself writes, so that the two
  // buffers can alternate; otherwise (the body yields its argument, or a
  // nested loop's result) copy it once per iteration.
  bool written = false;
  for (const Step &s : loop.body)
    written |= s.kind == Step::Call && s.result == *ys;
  if (!written) {
    Pending p;
    p.desc.kind = KernelKind::Elementwise;
    p.operands = {*ys};
    p.anchor = op;
    p.last = yielded;
    if (failed(emit(p, loop.body)))
      return failure();
    ys = loop.body.back().result;
  }
  loop.yield = *ys;
  Slot result;
  result.kind = Slot::LoopResult;
  result.dims = *d;
  loop.result = plan.addSlot(result);
  slotOf[op.getResult()] = loop.result;
  steps.push_back(std::move(loop));
  return success();
}

//===----------------------------------------------------------------------===//
// Training ops
//===----------------------------------------------------------------------===//

FailureOr<int> Lowerer::gradOperand(Value v, Operation *user) {
  auto it = slotOf.find(v);
  if (it != slotOf.end())
    return it->second;
  auto weight = v.getDefiningOp<WeightOp>();
  if (!weight)
    return activation(v, user); // reports the error
  auto type = cast<RankedTensorType>(v.getType());
  PackRecipe raw;
  raw.kind = PackRecipe::Raw;
  raw.weight = weight.getParam().str();
  // Halide extents: C order reversed.
  return paramSlot(raw, Dims(type.getShape().rbegin(), type.getShape().rend()));
}

FailureOr<Dims> Lowerer::unbatchedDims(Value v, Operation *at) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  if (!type || !type.hasStaticShape())
    return at->emitOpError("the Halide backend needs a static shape here, "
                           "got ")
           << v.getType();
  return Dims(type.getShape().begin(), type.getShape().end());
}

FailureOr<int> Lowerer::emitCall(KernelDesc desc,
                                 const std::vector<int> &operands, Value result,
                                 Operation *op, std::vector<Step> &steps,
                                 std::optional<Dims> shape) {
  FailureOr<Dims> d = shape                ? FailureOr<Dims>(*shape)
                      : desc.resultBatched ? dims(result, op)
                                           : unbatchedDims(result, op);
  if (failed(d))
    return failure();
  desc.result = *d;
  desc.operands.clear();
  for (int s : operands) {
    const Slot &slot = plan.slots[s];
    Operand o;
    o.batched = slot.kind != Slot::Param && slot.batched;
    // Unbatched operands are described by their Halide extents.
    o.dims = slot.kind == Slot::Param || slot.batched
                 ? slot.dims
                 : Dims(slot.dims.rbegin(), slot.dims.rend());
    desc.operands.push_back(o);
  }
  Slot out;
  out.kind = Slot::Activation;
  out.dims = *d;
  out.batched = desc.resultBatched;
  int r = plan.addSlot(out);
  if (result)
    slotOf[result] = r;
  Step step;
  step.kernel = kernelId(desc);
  step.operands = operands;
  step.result = r;
  step.loc = op->getLoc();
  if (auto layer = op->getAttrOfType<StringAttr>("layer"))
    step.layer = layer.getValue().str();
  steps.push_back(std::move(step));
  return r;
}

LogicalResult Lowerer::lowerGrad(Operation *op, std::vector<Step> &steps) {
  std::vector<int> operands;
  for (Value v : op->getOperands()) {
    auto s = gradOperand(v, op);
    if (failed(s))
      return failure();
    operands.push_back(*s);
  }
  // Element-wise ops keep the batching of their first operand.
  const bool firstBatched = plan.slots[operands[0]].kind != Slot::Param &&
                            plan.slots[operands[0]].batched;
  KernelDesc desc;
  auto window = [&](auto o) {
    desc.stride = {o.getStride()[0], o.getStride()[1]};
    desc.padding = {o.getPadding()[0], o.getPadding()[1]};
  };
  auto conv = [&](auto o) {
    window(o);
    desc.dilation = {o.getDilation()[0], o.getDilation()[1]};
    desc.groups = int64_t(o.getGroups());
  };
  auto pool = [&](auto o) {
    window(o);
    desc.kernel = {o.getKernel()[0], o.getKernel()[1]};
  };
  LogicalResult known =
      llvm::TypeSwitch<Operation *, LogicalResult>(op)
          .Case([&](ChannelMeanOp) {
            desc.kind = KernelKind::ChannelMean;
            desc.resultBatched = false;
            return success();
          })
          .Case([&](ChannelVarOp o) {
            desc.kind = KernelKind::ChannelVar;
            desc.resultBatched = false;
            desc.unbiased = o.getUnbiased();
            return success();
          })
          .Case([&](ChannelSumOp) {
            desc.kind = KernelKind::ChannelSum;
            desc.resultBatched = false;
            return success();
          })
          .Case([&](LerpOp o) {
            desc.kind = KernelKind::Lerp;
            desc.real = o.getMomentum().convertToDouble();
            desc.resultBatched = firstBatched;
            return success();
          })
          .Case([&](ScaleOp o) {
            desc.kind = KernelKind::Scale;
            desc.real = o.getFactor().convertToDouble();
            desc.resultBatched = firstBatched;
            return success();
          })
          .Case([&](AddOp) {
            desc.kind = KernelKind::Sum;
            desc.resultBatched = firstBatched;
            return success();
          })
          .Case([&](BatchNormOp o) {
            desc.kind = KernelKind::BatchNormTrain;
            desc.real = o.getEpsilon().convertToDouble();
            return success();
          })
          .Case([&](BatchNormGradGammaOp o) {
            desc.kind = KernelKind::BatchNormGradGamma;
            desc.real = o.getEpsilon().convertToDouble();
            desc.resultBatched = false;
            return success();
          })
          .Case([&](BatchNormGradOp o) -> LogicalResult {
            // The two channel sums first, a kernel of their own.
            KernelDesc sums;
            sums.kind = KernelKind::BatchNormGradSums;
            sums.real = o.getEpsilon().convertToDouble();
            sums.resultBatched = false;
            auto x = dims(o.getInput(), op);
            if (failed(x))
              return failure();
            auto s = emitCall(
                sums, {operands[0], operands[1], operands[3], operands[4]},
                Value(), op, steps, Dims{2, (*x)[0]});
            if (failed(s))
              return failure();
            operands.push_back(*s);
            desc.kind = KernelKind::BatchNormGrad;
            desc.real = sums.real;
            return success();
          })
          .Case([&](Conv2DGradInputOp o) {
            desc.kind = KernelKind::ConvGradInput;
            conv(o);
            return success();
          })
          .Case([&](Conv2DGradWeightOp o) {
            desc.kind = KernelKind::ConvGradWeight;
            desc.resultBatched = false;
            conv(o);
            return success();
          })
          .Case([&](DenseGradInputOp) {
            desc.kind = KernelKind::DenseGradInput;
            return success();
          })
          .Case([&](DenseGradWeightOp) {
            desc.kind = KernelKind::DenseGradWeight;
            desc.resultBatched = false;
            return success();
          })
          .Case([&](ActivationGradOp o) {
            desc.kind = KernelKind::ActivationGrad;
            desc.act = o.getKind();
            return success();
          })
          .Case([&](MaxPool2DGradOp o) {
            desc.kind = KernelKind::MaxPoolGrad;
            pool(o);
            return success();
          })
          .Case([&](AvgPool2DGradOp o) {
            desc.kind = KernelKind::AvgPoolGrad;
            pool(o);
            return success();
          })
          .Case([&](GlobalAvgPoolGradOp) {
            desc.kind = KernelKind::GlobalAvgPoolGrad;
            return success();
          })
          .Case([&](ReshapeOp) {
            desc.kind = KernelKind::Reshape;
            return success();
          })
          .Case([&](UpsampleGradOp o) {
            desc.kind = KernelKind::UpsampleGrad;
            desc.factor = int64_t(o.getFactor());
            return success();
          })
          .Case([&](SliceChannelsOp o) {
            desc.kind = KernelKind::SliceChannels;
            desc.offset = int64_t(o.getOffset());
            return success();
          })
          .Case([&](SoftmaxGradOp) {
            desc.kind = KernelKind::SoftmaxGrad;
            return success();
          })
          .Case([&](ChannelMulGradGateOp) {
            desc.kind = KernelKind::ChannelMulGradGate;
            return success();
          })
          .Case([&](LayerNormGradOp o) {
            desc.kind = KernelKind::LayerNormGrad;
            desc.real = o.getEpsilon().convertToDouble();
            return success();
          })
          .Case([&](LayerNormGradWeightOp o) {
            desc.kind = KernelKind::LayerNormGradWeight;
            desc.real = o.getEpsilon().convertToDouble();
            desc.resultBatched = false;
            return success();
          })
          .Case([&](ChannelScaleGradScaleOp) {
            desc.kind = KernelKind::ChannelScaleGradScale;
            desc.resultBatched = false;
            return success();
          })
          .Case([&](TokensGradOp) {
            desc.kind = KernelKind::TokenView; // the same memory
            return success();
          })
          .Case([&](ClassTokenGradOp) {
            desc.kind = KernelKind::ClassTokenGrad;
            return success();
          })
          .Case([&](TokenBatchSumOp) {
            desc.kind = KernelKind::TokenBatchSum;
            desc.resultBatched = false;
            return success();
          })
          .Case([&](TokenGradOp o) {
            desc.kind = KernelKind::TokenScatter;
            desc.offset = o.getIndex();
            return success();
          })
          .Case([&](AttentionHeadsGradOp o) {
            desc.kind = KernelKind::AttentionHeadsGrad;
            desc.groups = o.getHeads();
            return success();
          })
          .Default([&](Operation *) {
            return op->emitOpError("is not supported by the Halide backend");
          });
  if (failed(known))
    return failure();
  // Which operands have a batch dim; the kernels read them accordingly.
  std::vector<bool> batched(op->getNumOperands(), true);
  auto unbatchedFrom = [&](size_t first, size_t last) {
    for (size_t i = first; i <= last && i < batched.size(); ++i)
      batched[i] = false;
  };
  switch (desc.kind) {
  case KernelKind::ChannelVar:
  case KernelKind::ConvGradInput:
  case KernelKind::DenseGradInput:
    unbatchedFrom(1, 1);
    break;
  case KernelKind::BatchNormTrain:
    unbatchedFrom(1, 4);
    break;
  case KernelKind::LayerNormGrad:
    unbatchedFrom(2, 2); // the weight
    break;
  case KernelKind::BatchNormGrad:
  case KernelKind::BatchNormGradGamma:
    unbatchedFrom(2, 4);
    break;
  case KernelKind::Lerp:
  case KernelKind::Scale:
  case KernelKind::Sum:
    batched.assign(batched.size(), firstBatched);
    if (op->getOperand(0).getType() != op->getResult(0).getType() ||
        op->getOperand(op->getNumOperands() - 1).getType() !=
            op->getResult(0).getType())
      return op->emitOpError("the Halide backend needs operands of the "
                             "result's shape here");
    break;
  default:
    break;
  }
  for (auto [i, want] : llvm::enumerate(batched)) {
    const Slot &slot = plan.slots[operands[i]];
    if ((slot.kind != Slot::Param && slot.batched) != want)
      return op->emitOpError("the Halide backend needs operand #")
             << i
             << (want ? " to have a batch dimension"
                      : " to be a parameter or a tensor without a batch "
                        "dimension (a statistic or weight gradient)");
  }
  return emitCall(desc, operands, op->getResult(0), op, steps);
}

int Lowerer::tokenView(int from, const Dims &to, Location loc,
                       const std::string &layer) {
  KernelDesc desc;
  desc.kind = KernelKind::TokenView;
  Operand o;
  o.dims = plan.slots[from].dims;
  desc.operands = {o};
  desc.result = to;
  Slot act;
  act.kind = Slot::Activation;
  act.dims = to;
  int a = plan.addSlot(act);
  Step step;
  step.kernel = kernelId(desc);
  step.operands = {from};
  step.result = a;
  step.loc = loc;
  step.layer = layer;
  plan.steps.push_back(step);
  return a;
}

LogicalResult Lowerer::run() {
  if (fn.isExternal() || !fn.getBody().hasOneBlock())
    return fn.emitError("the Halide backend compiles single-block functions "
                        "with a body");
  // Attention's projections are dense layers (the fast 1x1 convolution,
  // into whose epilogue the residual add after it fuses), its heads
  // res.attention_heads.
  AttentionOp::splitAll(fn);
  Block &entry = fn.getBody().front();
  for (BlockArgument arg : entry.getArguments()) {
    auto type = dyn_cast<RankedTensorType>(arg.getType());
    if (type && type.getRank() >= 2 &&
        llvm::any_of(type.getShape().drop_front(),
                     [](int64_t d) { return ShapedType::isDynamic(d); })) {
      auto name =
          fn.getArgAttrOfType<StringAttr>(arg.getArgNumber(), kNameAttr);
      std::string shape = "[N";
      for (int64_t d : type.getShape().drop_front())
        shape += ShapedType::isDynamic(d) ? ", ?" : ", " + std::to_string(d);
      return emitError(arg.getLoc())
             << "input '" << (name ? name.getValue() : StringRef("?")) << "' "
             << shape
             << "] has sizes chosen at run time: compiled kernels need every "
                "dimension but the batch "
                "fixed; write numbers for them in the input's declaration, "
                "or run on the reference interpreter (resc run --interpret), "
                "which accepts them";
    }
    auto d = dims(arg, fn);
    if (failed(d))
      return failure();
    const bool tokens = isTokens(arg);
    Slot input;
    input.kind = Slot::Input;
    // The caller's [N, T, D], in C order: also the internal layout.
    input.dims = tokens ? Dims{(*d)[2], (*d)[0]} : *d;
    input.index = int(arg.getArgNumber());
    int s = plan.addSlot(input);
    plan.inputs.push_back(s);
    if (tokens) {
      slotOf[arg] = tokenView(s, *d, fn.getLoc(), "input");
      continue;
    }
    if (d->size() != 3) {
      // C order is the internal layout: read the caller's buffer directly.
      slotOf[arg] = s;
      continue;
    }
    KernelDesc desc;
    desc.kind = KernelKind::ToInternal;
    Operand o;
    o.cOrder = true;
    o.dims = *d;
    desc.operands = {o};
    desc.result = *d;
    Slot act;
    act.kind = Slot::Activation;
    act.dims = *d;
    int a = plan.addSlot(act);
    Step step;
    step.kernel = kernelId(desc);
    step.operands = {s};
    step.result = a;
    step.loc = fn.getLoc();
    step.layer = "input";
    plan.steps.push_back(step);
    slotOf[arg] = a;
  }
  if (failed(lowerBlock(entry, plan.steps)))
    return failure();
  auto ret = dyn_cast<func::ReturnOp>(entry.getTerminator());
  if (!ret)
    return fn.emitError("the model function must end in func.return");
  for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
    auto known = slotOf.find(v);
    auto s = known != slotOf.end() ? FailureOr<int>(known->second)
                                   : activation(v, ret);
    if (failed(s))
      return failure();
    // Gradients of parameters and new running statistics have no batch.
    const bool batched = plan.slots[*s].batched;
    auto d = batched ? dims(v, ret) : unbatchedDims(v, ret);
    if (failed(d))
      return failure();
    if (batched && isTokens(v)) {
      // Back from the [D, 1, T] view to the caller's [N, T, D].
      d = Dims{(*d)[2], (*d)[0]};
      s = tokenView(*s, *d, ret.getLoc(), "output");
    }
    KernelDesc desc;
    desc.kind = KernelKind::FromInternal;
    Operand o;
    o.batched = batched;
    o.dims = batched ? *d : Dims(d->rbegin(), d->rend());
    desc.operands = {o};
    desc.result = *d;
    desc.resultBatched = batched;
    Slot out;
    out.kind = Slot::Output;
    out.batched = batched;
    out.dims = *d;
    out.index = int(i);
    int os = plan.addSlot(out);
    plan.outputs.push_back(os);
    Step step;
    step.kernel = kernelId(desc);
    step.operands = {*s};
    step.result = os;
    step.loc = ret.getLoc();
    step.layer = "output";
    plan.steps.push_back(step);
  }
  plan.planMemory();
  return success();
}

} // namespace

LogicalResult lowerToPlan(func::FuncOp fn, Plan &plan,
                          const LowerOptions &options) {
  return Lowerer(fn, plan, options).run();
}

} // namespace codegen
} // namespace res
