// res-generate-gradients: adds the training function of a model, its
// training-mode forward pass followed by reverse-mode differentiation at the
// dialect level (Passes.td has the contract). The backward pass is built
// from the ops of ResGradOps.td, so it goes through the same code generator,
// kernel cache and plan as the forward pass.
#include "compiler/passes/BlockRewrites.h"
#include "compiler/passes/ParamValues.h"
#include "compiler/passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <map>
#include <sstream>

using namespace mlir;

namespace res {
#define GEN_PASS_DEF_GENERATEGRADIENTS
#include "compiler/passes/Passes.h.inc"
} // namespace res

namespace res {
namespace {

struct GenerateGradientsPass
    : public impl::GenerateGradientsBase<GenerateGradientsPass> {
  using GenerateGradientsBase::GenerateGradientsBase;
  void runOnOperation() override;
};

/// after(a * (S(x) + h * F(x))) as plain ops before `block`, replacing it;
/// unlike res-inline-blocks it keeps blocks with scales, through res.scale.
void flattenBlock(IRRewriter &rewriter, ResidualOp block) {
  std::string name = layerName(block);
  Location loc = block.getLoc();
  Value x = block.getInput();
  Value f = inlineRegionBefore(rewriter, block.getBranch(), block, x);
  Value s = block.hasIdentityShortcut()
                ? x
                : inlineRegionBefore(rewriter, block.getShortcut(), block, x);
  rewriter.setInsertionPoint(block);
  auto scale = [&](Value v, double factor, StringRef what) -> Value {
    if (factor == 1.0)
      return v;
    return rewriter
        .create<ScaleOp>(loc, v.getType(), v, rewriter.getF64FloatAttr(factor),
                         rewriter.getStringAttr(name + what))
        .getResult();
  };
  f = scale(f, block.getBranchScale().convertToDouble(), ".branch_scale");
  Value sum =
      rewriter.create<AddOp>(loc, s, f, rewriter.getStringAttr(name + ".add"));
  sum = scale(sum, block.getOutputScale().convertToDouble(), ".output_scale");
  if (auto after = block.getAfter())
    sum = rewriter.create<ActivationOp>(
        loc, ActivationAttr::get(rewriter.getContext(), *after), sum,
        rewriter.getStringAttr(name + ".after"));
  rewriter.replaceOp(block, sum);
}

/// Unrolls every repeat (the backward pass of iteration i needs iteration
/// i's activations, and the plan runs straight-line code) and inlines every
/// residual block.
void flattenStructure(IRRewriter &rewriter, func::FuncOp fn) {
  while (true) {
    RepeatOp repeat;
    fn.walk([&](RepeatOp op) {
      repeat = op;
      return WalkResult::interrupt();
    });
    if (!repeat)
      break;
    unrollRepeat(rewriter, repeat);
  }
  SmallVector<ResidualOp> blocks;
  fn.walk([&](ResidualOp op) { blocks.push_back(op); }); // inner ones first
  for (ResidualOp block : blocks)
    flattenBlock(rewriter, block);
}

/// The batch statistics a training-mode batch norm normalised with.
struct BatchStats {
  Value mean, var;
};

/// What the training forward pass hands to the backward pass besides the
/// values themselves.
struct TrainingForward {
  llvm::DenseMap<Operation *, BatchStats> batchNorms;
  /// Final value of each running statistic, in the order of first update.
  SmallVector<std::pair<std::string, Value>> runningStats;
};

/// Replaces every (inference) batch norm by one normalising with the batch
/// statistics, and updates the running statistics as PyTorch does. With a
/// tied repeat the same statistics are updated once per iteration, in order.
LogicalResult useBatchStatistics(IRRewriter &rewriter, func::FuncOp fn,
                                 TrainingForward &forward) {
  SmallVector<BatchNormOp> norms;
  fn.walk([&](BatchNormOp op) { norms.push_back(op); });
  llvm::StringMap<Value> current;
  for (BatchNormOp bn : norms) {
    Location loc = bn.getLoc();
    ParamOp meanParam = paramOf(bn.getRunningMean());
    ParamOp varParam = paramOf(bn.getRunningVar());
    if (!meanParam || !varParam)
      return bn.emitOpError("running statistics must be parameters "
                            "(res.weight) to be updated in training");
    rewriter.setInsertionPoint(bn);
    StringAttr layer = bn.getLayerAttr();
    Type vector = bn.getRunningMean().getType();
    Value x = bn.getInput();
    Value mean = rewriter.create<ChannelMeanOp>(loc, vector, x, layer);
    Value var = rewriter.create<ChannelVarOp>(loc, vector, x, mean,
                                              /*unbiased=*/false, layer);
    Value unbiased = rewriter.create<ChannelVarOp>(loc, vector, x, mean,
                                                   /*unbiased=*/true, layer);
    auto norm = rewriter.create<BatchNormOp>(
        loc, bn.getType(), x, bn.getWeight(), bn.getBias(), mean, var,
        bn.getEpsilonAttr(), bn.getMomentumAttr(), layer);
    forward.batchNorms[norm] = {mean, var};
    for (auto [param, running, batch] :
         {std::tuple{meanParam, bn.getRunningMean(), mean},
          std::tuple{varParam, bn.getRunningVar(), unbiased}}) {
      StringRef name = param.getSymName();
      auto [it, first] = current.try_emplace(name, running);
      if (first)
        forward.runningStats.push_back({name.str(), Value()});
      it->second = rewriter.create<LerpOp>(loc, vector, it->second, batch,
                                           bn.getMomentumAttr(), layer);
    }
    rewriter.replaceOp(bn, norm.getResult());
  }
  for (auto &[name, value] : forward.runningStats)
    value = current.lookup(name);
  return success();
}

/// Reverse-mode differentiation of a flat function body: gradients of
/// values, summed over their uses, and of parameters by symbol.
class Backward {
public:
  Backward(IRRewriter &rewriter, const TrainingForward &forward)
      : rewriter(rewriter), forward(forward) {}

  void seed(Value value, Value grad) { accumulate(value, grad, "output"); }
  LogicalResult visit(Operation *op);
  /// The error for an op the outputs depend on that has no rule.
  LogicalResult refuse(Operation *op);
  Value gradOf(Value value) const { return grads.lookup(value); }
  const std::map<std::string, Value> &paramGrads() const { return params; }

private:
  void accumulate(Value value, Value grad, StringRef layer);
  StringAttr layerOf(Operation *op) {
    return rewriter.getStringAttr(layerName(op) + ".grad");
  }
  template <typename Op, typename... Args>
  Value make(Operation *forwardOp, Type type, Args &&...args) {
    return rewriter
        .create<Op>(forwardOp->getLoc(), type, std::forward<Args>(args)...,
                    layerOf(forwardOp))
        .getResult();
  }

  IRRewriter &rewriter;
  const TrainingForward &forward;
  llvm::DenseMap<Value, Value> grads;
  std::map<std::string, Value> params; // sorted: the results' order
};

void Backward::accumulate(Value value, Value grad, StringRef layer) {
  auto [it, first] = grads.try_emplace(value, grad);
  if (!first)
    it->second = rewriter.create<AddOp>(grad.getLoc(), it->second, grad,
                                        rewriter.getStringAttr(layer));
}

LogicalResult Backward::visit(Operation *op) {
  if (op->hasTrait<OpTrait::IsTerminator>())
    return success();
  Value g;
  for (Value result : op->getResults())
    if ((g = grads.lookup(result)))
      break;
  if (!g)
    return success(); // nothing the outputs depend on
  // Every rule below is for one result; an op with several whose results
  // the outputs depend on must be refused, not skipped (skipping
  // res.fold_bn_params dropped every gradient behind it).
  if (op->getNumResults() != 1)
    return refuse(op);
  std::string sum = layerName(op) + ".grad_sum";
  auto flow = [&](Value operand, Value grad) {
    if (operand)
      accumulate(operand, grad, sum);
  };
  if (auto w = dyn_cast<WeightOp>(op)) {
    ParamOp param = lookupParam(w);
    // Params that an inference-only fold made: its mark, the pass, what it
    // folded into a layer and what training them would lose.
    struct Fold {
      llvm::StringRef mark, pass, what, lost;
    };
    for (Fold fold :
         {Fold{kFoldedBatchNormAttr, "res-fold-bn", "batch norm", "that norm"},
          Fold{kFoldedLayerNormAttr, "res-fold-layernorm",
               "the affine of layer norm", "that affine"}})
      if (auto source = param ? param->getAttrOfType<StringAttr>(fold.mark)
                              : StringAttr())
        return w.emitOpError("reads '")
               << w.getParam() << "', which " << fold.pass
               << " made by folding " << fold.what << " '" << source.getValue()
               << "' into a layer: its gradients would train a model "
                  "without "
               << fold.lost
               << "; generate gradients from the model as written, before "
               << fold.pass;
    auto [it, first] = params.try_emplace(w.getParam().str(), g);
    if (!first)
      it->second = rewriter.create<AddOp>(
          w.getLoc(), it->second, g,
          rewriter.getStringAttr(w.getParam() + ".grad_sum"));
    return success();
  }
  if (auto conv = dyn_cast<Conv2DOp>(op)) {
    auto attrs = std::tuple{conv.getStrideAttr(), conv.getPaddingAttr(),
                            conv.getDilationAttr(), conv.getGroupsAttr()};
    auto [s, p, d, gr] = attrs;
    flow(conv.getInput(),
         make<Conv2DGradInputOp>(op, conv.getInput().getType(), g,
                                 conv.getWeight(), s, p, d, gr));
    flow(conv.getWeight(),
         make<Conv2DGradWeightOp>(op, conv.getWeight().getType(),
                                  conv.getInput(), g, s, p, d, gr));
    if (conv.getBias())
      flow(conv.getBias(), make<ChannelSumOp>(op, conv.getBias().getType(), g));
    return success();
  }
  if (auto bn = dyn_cast<BatchNormOp>(op)) {
    auto stats = forward.batchNorms.find(op);
    if (stats == forward.batchNorms.end())
      return op->emitOpError("is not in training mode");
    auto [mean, var] = stats->second;
    Value x = bn.getInput();
    flow(x, make<BatchNormGradOp>(op, x.getType(), g, x, bn.getWeight(), mean,
                                  var, bn.getEpsilonAttr()));
    flow(bn.getWeight(),
         make<BatchNormGradGammaOp>(op, bn.getWeight().getType(), g, x, mean,
                                    var, bn.getEpsilonAttr()));
    flow(bn.getBias(), make<ChannelSumOp>(op, bn.getBias().getType(), g));
    return success();
  }
  if (auto act = dyn_cast<ActivationOp>(op)) {
    if (auto p = op->getAttrOfType<FloatAttr>(kDropoutAttr);
        p && p.getValueAsDouble() > 0) {
      std::ostringstream os;
      os << p.getValueAsDouble();
      return op->emitError("dropout(p = ")
             << os.str()
             << ") is the identity at inference, but training with dropout "
                "is not implemented; write dropout(0) (or remove it) to "
                "train without it";
    }
    flow(act.getInput(),
         make<ActivationGradOp>(op, g.getType(), act.getKindAttr(), g,
                                act.getInput()));
    return success();
  }
  if (auto pool = dyn_cast<MaxPool2DOp>(op)) {
    flow(pool.getInput(),
         make<MaxPool2DGradOp>(op, pool.getInput().getType(), g,
                               pool.getInput(), pool.getKernelAttr(),
                               pool.getStrideAttr(), pool.getPaddingAttr()));
    return success();
  }
  if (auto pool = dyn_cast<AvgPool2DOp>(op)) {
    flow(pool.getInput(),
         make<AvgPool2DGradOp>(op, pool.getInput().getType(), g,
                               pool.getKernelAttr(), pool.getStrideAttr(),
                               pool.getPaddingAttr()));
    return success();
  }
  if (auto pool = dyn_cast<GlobalAvgPoolOp>(op)) {
    flow(pool.getInput(),
         make<GlobalAvgPoolGradOp>(op, pool.getInput().getType(), g));
    return success();
  }
  if (auto flat = dyn_cast<FlattenOp>(op)) {
    flow(flat.getInput(), make<ReshapeOp>(op, flat.getInput().getType(), g));
    return success();
  }
  if (auto reshape = dyn_cast<ReshapeOp>(op)) {
    flow(reshape.getInput(),
         make<ReshapeOp>(op, reshape.getInput().getType(), g));
    return success();
  }
  if (auto mul = dyn_cast<ChannelMulOp>(op)) {
    // y = x * s: dx = dy * s (the same broadcast), ds = sum_hw dy * x.
    flow(mul.getInput(), make<ChannelMulOp>(op, g.getType(), g, mul.getGate()));
    flow(mul.getGate(), make<ChannelMulGradGateOp>(op, mul.getGate().getType(),
                                                   g, mul.getInput()));
    return success();
  }
  if (auto ln = dyn_cast<LayerNormOp>(op)) {
    // The statistics are per position, recomputed by the gradient ops.
    Value x = ln.getInput();
    flow(x, make<LayerNormGradOp>(op, x.getType(), g, x, ln.getWeight(),
                                  ln.getEpsilonAttr()));
    if (ln.getWeight()) {
      flow(ln.getWeight(),
           make<LayerNormGradWeightOp>(op, ln.getWeight().getType(), g, x,
                                       ln.getEpsilonAttr()));
      // Summed over every position per feature: channel_sum's dim 1 is the
      // feature of [N, C, H, W] and [N, D].
      flow(ln.getBias(), make<ChannelSumOp>(op, ln.getBias().getType(), g));
    }
    return success();
  }
  if (auto cs = dyn_cast<ChannelScaleOp>(op)) {
    // y = x * s: dx = dy * s, ds = sum of dy * x per channel.
    flow(cs.getInput(), make<ChannelScaleOp>(op, g.getType(), g, cs.getScale(),
                                             cs.getInitAttr()));
    flow(cs.getScale(), make<ChannelScaleGradScaleOp>(
                            op, cs.getScale().getType(), g, cs.getInput()));
    return success();
  }
  if (auto dense = dyn_cast<DenseOp>(op)) {
    flow(dense.getInput(),
         make<DenseGradInputOp>(op, dense.getInput().getType(), g,
                                dense.getWeight()));
    flow(dense.getWeight(),
         make<DenseGradWeightOp>(op, dense.getWeight().getType(),
                                 dense.getInput(), g));
    if (dense.getBias())
      flow(dense.getBias(),
           make<ChannelSumOp>(op, dense.getBias().getType(), g));
    return success();
  }
  if (auto up = dyn_cast<UpsampleOp>(op)) {
    flow(up.getInput(), make<UpsampleGradOp>(op, up.getInput().getType(), g,
                                             up.getFactorAttr()));
    return success();
  }
  auto slice = [&](Value of, int64_t offset) {
    if (of.getType() == g.getType())
      return g;
    return make<SliceChannelsOp>(op, of.getType(), g,
                                 rewriter.getI64IntegerAttr(offset));
  };
  if (auto add = dyn_cast<AddOp>(op)) {
    flow(add.getLhs(), g);
    flow(add.getRhs(), slice(add.getRhs(), 0));
    return success();
  }
  if (auto cat = dyn_cast<ConcatOp>(op)) {
    int64_t lhsChannels =
        cast<RankedTensorType>(cat.getLhs().getType()).getDimSize(1);
    flow(cat.getLhs(), slice(cat.getLhs(), 0));
    flow(cat.getRhs(), slice(cat.getRhs(), lhsChannels));
    return success();
  }
  if (auto softmax = dyn_cast<SoftmaxOp>(op)) {
    flow(softmax.getInput(),
         make<SoftmaxGradOp>(op, g.getType(), g, softmax.getResult()));
    return success();
  }
  if (auto t = dyn_cast<TokensOp>(op)) {
    flow(t.getInput(), make<TokensGradOp>(op, t.getInput().getType(), g));
    return success();
  }
  if (auto ct = dyn_cast<ClassTokenOp>(op)) {
    // The token is broadcast over the batch: its gradient sums token 0's.
    flow(ct.getInput(), make<ClassTokenGradOp>(op, ct.getInput().getType(), g));
    flow(ct.getToken(), make<TokenBatchSumOp>(op, ct.getToken().getType(), g));
    return success();
  }
  if (auto pe = dyn_cast<PosEmbeddingOp>(op)) {
    flow(pe.getInput(), g);
    flow(pe.getEmbedding(),
         make<TokenBatchSumOp>(op, pe.getEmbedding().getType(), g));
    return success();
  }
  if (auto t = dyn_cast<TokenOp>(op)) {
    flow(t.getInput(),
         make<TokenGradOp>(op, t.getInput().getType(), g, t.getIndexAttr()));
    return success();
  }
  if (auto heads = dyn_cast<AttentionHeadsOp>(op)) {
    flow(heads.getInput(),
         make<AttentionHeadsGradOp>(op, heads.getInput().getType(), g,
                                    heads.getInput(), heads.getHeadsAttr()));
    return success();
  }
  if (auto scale = dyn_cast<ScaleOp>(op)) {
    flow(scale.getInput(),
         make<ScaleOp>(op, g.getType(), g, scale.getFactorAttr()));
    return success();
  }
  if (isa<ChannelMeanOp, ChannelVarOp, LerpOp>(op))
    return success(); // batch statistics: batch_norm_grad accounts for them
  return refuse(op);
}

LogicalResult Backward::refuse(Operation *op) {
  if (isa<FusedConv2DOp, FoldBatchNormParamsOp>(op))
    return op->emitOpError("is made by an inference-only rewrite: generate "
                           "gradients from the model as written, before "
                           "res-fold-bn and res-fuse-skip-add");
  return op->emitOpError("has no gradient rule");
}

/// Floats per sample (the dynamic batch dim excluded) of a tensor type.
int64_t floatsPerSample(Type type) {
  auto t = cast<RankedTensorType>(type);
  int64_t n = 1;
  for (int64_t i = 0; i < t.getRank(); ++i)
    if (!t.isDynamicDim(i))
      n *= t.getDimSize(i);
  return n;
}

/// The remark about the forward values the backward pass keeps alive.
void remarkSavedValues(func::FuncOp fn, unsigned numInputs,
                       Operation *firstBackward) {
  llvm::DenseSet<Value> saved;
  bool backward = false;
  for (Operation &op : fn.getBody().front()) {
    backward |= &op == firstBackward;
    if (!backward || isa<func::ReturnOp>(op))
      continue;
    for (Value operand : op.getOperands()) {
      Operation *def = operand.getDefiningOp();
      auto arg = dyn_cast<BlockArgument>(operand);
      bool fromForward = arg ? arg.getArgNumber() < numInputs
                             : def->isBeforeInBlock(firstBackward);
      if (fromForward && !isa_and_nonnull<WeightOp>(def) &&
          cast<RankedTensorType>(operand.getType()).isDynamicDim(0))
        saved.insert(operand);
    }
  }
  int64_t floats = 0;
  for (Value v : saved)
    floats += floatsPerSample(v.getType());
  fn.emitRemark() << "the backward pass reads " << saved.size()
                  << " activations of the forward pass: " << floats
                  << " floats (" << (floats * 4 + 1023) / 1024
                  << " KiB) per sample kept alive until their gradients";
}

/// Builds `@name_train` from the model function `fn`.
LogicalResult generate(ModuleOp module, func::FuncOp model, bool inputGrads) {
  MLIRContext *ctx = module.getContext();
  std::string trainName = (model.getName() + "_train").str();
  if (module.lookupSymbol(trainName))
    return model.emitOpError("cannot add '")
           << trainName << "': the module already has that symbol";
  IRRewriter rewriter(ctx);
  rewriter.setInsertionPointAfter(model);
  auto fn = cast<func::FuncOp>(rewriter.clone(*model));
  fn.setName(trainName);
  fn->setAttr("res.train_of", rewriter.getStringAttr(model.getName()));

  flattenStructure(rewriter, fn);
  // Attention's gradients follow its parts: two dense layers and the heads.
  AttentionOp::splitAll(fn);
  TrainingForward forward;
  if (failed(useBatchStatistics(rewriter, fn, forward)))
    return failure();

  Block &body = fn.getBody().front();
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  SmallVector<Operation *> forwardOps;
  for (Operation &op : body.without_terminator())
    forwardOps.push_back(&op);

  unsigned numInputs = fn.getNumArguments();
  SmallVector<Value> outputs(ret.getOperands());
  auto name = [](DictionaryAttr attrs, const std::string &fallback) {
    if (auto s = attrs ? attrs.getAs<StringAttr>("res.name") : StringAttr())
      return s.str();
    return fallback;
  };
  auto roleAttrs = [&](StringRef role, StringRef n) {
    return rewriter.getDictionaryAttr(
        {rewriter.getNamedAttr("res.role", rewriter.getStringAttr(role)),
         rewriter.getNamedAttr("res.name", rewriter.getStringAttr(n))});
  };
  SmallVector<std::string> inputNames, outputNames;
  for (unsigned i = 0; i < numInputs; ++i)
    inputNames.push_back(
        name(fn.getArgAttrDict(i), "input" + std::to_string(i)));
  for (unsigned i = 0; i < outputs.size(); ++i)
    outputNames.push_back(
        name(fn.getResultAttrDict(i), "output" + std::to_string(i)));

  rewriter.setInsertionPoint(ret);
  Backward backward(rewriter, forward);
  for (unsigned i = 0; i < outputs.size(); ++i) {
    BlockArgument dy = body.addArgument(outputs[i].getType(), fn.getLoc());
    backward.seed(outputs[i], dy);
  }
  for (Operation *op : llvm::reverse(forwardOps))
    if (failed(backward.visit(op)))
      return failure();

  SmallVector<Value> results(outputs);
  SmallVector<DictionaryAttr> resultAttrs;
  for (const std::string &n : outputNames)
    resultAttrs.push_back(roleAttrs("output", n));
  for (unsigned i = 0; i < numInputs; ++i) {
    Value dx = backward.gradOf(body.getArgument(i));
    if (!dx)
      return model.emitOpError("input '")
             << inputNames[i] << "' does not reach any output";
    if (!inputGrads)
      continue;
    results.push_back(dx);
    resultAttrs.push_back(roleAttrs("input_grad", inputNames[i]));
  }
  for (auto &[param, grad] : backward.paramGrads()) {
    auto op = module.lookupSymbol<ParamOp>(param);
    if (op && op.getBuffer())
      continue;
    results.push_back(grad);
    resultAttrs.push_back(roleAttrs("param_grad", param));
  }
  for (auto &[param, value] : forward.runningStats) {
    results.push_back(value);
    resultAttrs.push_back(roleAttrs("running_stat", param));
  }
  Operation *newRet = rewriter.create<func::ReturnOp>(ret.getLoc(), results);
  Operation *firstBackward =
      forwardOps.empty() ? newRet : forwardOps.back()->getNextNode();
  rewriter.eraseOp(ret);
  // Without the input gradients, the ops that only they needed (the first
  // layer's input-gradient convolution, say) are dead.
  if (!inputGrads)
    for (Operation &op : llvm::make_early_inc_range(llvm::reverse(body)))
      if (isOpTriviallyDead(&op)) {
        if (&op == firstBackward)
          firstBackward = op.getNextNode();
        rewriter.eraseOp(&op);
      }

  SmallVector<Type> argTypes(body.getArgumentTypes());
  SmallVector<Type> resultTypes;
  for (Value v : results)
    resultTypes.push_back(v.getType());
  SmallVector<DictionaryAttr> argAttrs;
  for (unsigned i = 0; i < argTypes.size(); ++i)
    argAttrs.push_back(
        i < numInputs ? roleAttrs("input", inputNames[i])
                      : roleAttrs("output_grad", outputNames[i - numInputs]));
  fn.setType(FunctionType::get(ctx, argTypes, resultTypes));
  fn.setAllArgAttrs(argAttrs);
  fn.setAllResultAttrs(resultAttrs);
  remarkSavedValues(fn, numInputs, firstBackward);
  return success();
}

void GenerateGradientsPass::runOnOperation() {
  ModuleOp module = getOperation();
  SmallVector<func::FuncOp> models;
  for (auto fn : module.getOps<func::FuncOp>())
    if (fn.isPublic() && !fn.isDeclaration() && !fn->hasAttr("res.train_of") &&
        (model.empty() || fn.getName() == model))
      models.push_back(fn);
  if (models.empty()) {
    module.emitError() << (model.empty()
                               ? std::string("no model function to "
                                             "differentiate")
                               : "no model function named '" + model + "'");
    return signalPassFailure();
  }
  for (func::FuncOp fn : models)
    if (failed(generate(module, fn, inputGrads)))
      return signalPassFailure();
}

} // namespace
} // namespace res
