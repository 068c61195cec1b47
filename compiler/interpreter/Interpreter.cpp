// Walks the model function op by op, keeping one tensor per SSA value.
// Shapes are taken from the tensors, not the types, because the types may
// have dynamic dims; every result is then checked against its type's static
// dims, so an interpreter bug or a mistyped IR shows up at the op at fault.
#include "compiler/interpreter/Interpreter.h"
#include "compiler/interpreter/GradOps.h"
#include "compiler/interpreter/Kernels.h"
#include "compiler/interpreter/TokenKernels.h"

#include "dialect/ResDialect.h"

#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cstring>
#include <memory>
#include <unordered_map>

using namespace mlir;
using resc::Tensor;

namespace res {
namespace {

// Shared so that a parameter read by a tied repeat on every iteration, or a
// tensor that flows into a region, is never copied.
using TensorPtr = std::shared_ptr<const Tensor>;

std::string typeString(Type type) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << type;
  return s;
}

/// Whether `shape` fits `type`: same rank, equal static dims.
bool fitsType(const std::vector<int64_t> &shape, Type type) {
  auto ranked = dyn_cast<RankedTensorType>(type);
  if (!ranked || ranked.getRank() != static_cast<int64_t>(shape.size()))
    return false;
  for (size_t i = 0; i < shape.size(); ++i)
    if (!ranked.isDynamicDim(i) && ranked.getDimSize(i) != shape[i])
      return false;
  return true;
}

bool toPair(ArrayRef<int64_t> values, kernels::Pair &pair) {
  if (values.size() != 2)
    return false;
  pair = {values[0], values[1]};
  return true;
}

/// The window attributes of conv2d and fused_conv2d; false when one of them
/// does not have two values.
template <typename ConvOp> bool convAttrs(ConvOp c, kernels::Conv2DAttrs &a) {
  a.groups = c.getGroups();
  return toPair(c.getStride(), a.stride) && toPair(c.getPadding(), a.padding) &&
         toPair(c.getDilation(), a.dilation);
}

/// The elements of a bound parameter value, or an error message.
std::string readElements(ElementsAttr value, Tensor &out) {
  const int64_t n = out.numel();
  if (auto dense = dyn_cast<DenseElementsAttr>(value)) {
    if (!dense.getElementType().isF32())
      return "its value is not f32";
    auto values = dense.getValues<float>();
    std::copy(values.begin(), values.end(), out.data.begin());
    return "";
  }
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(value)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return "its resource blob '" + resource.getRawHandle().getKey().str() +
             "' has no data";
    ArrayRef<char> bytes = blob->getData();
    if (static_cast<int64_t>(bytes.size()) != n * 4)
      return "its resource blob has " + std::to_string(bytes.size()) +
             " bytes, expected " + std::to_string(n * 4);
    std::memcpy(out.data.data(), bytes.data(), bytes.size());
    return "";
  }
  if (auto begin = value.try_value_begin<float>()) {
    auto it = *begin;
    for (int64_t i = 0; i < n; ++i, ++it)
      out.data[i] = *it;
    return "";
  }
  return "its value attribute cannot be read as f32 elements";
}

class Interpreter {
public:
  Interpreter(func::FuncOp fn, const resc::TensorMap &params)
      : fn(fn), params(params) {}

  FailureOr<std::vector<Tensor>> run(const std::vector<Tensor> &inputs);

private:
  LogicalResult checkInputs(const std::vector<Tensor> &inputs);
  FailureOr<SmallVector<TensorPtr>> runBlock(Block &block,
                                             ArrayRef<TensorPtr> args);
  LogicalResult runOp(Operation *op);
  FailureOr<TensorPtr> loadParam(WeightOp op);
  FailureOr<TensorPtr> runResidual(ResidualOp op);
  FailureOr<TensorPtr> runRepeat(RepeatOp op);
  LogicalResult runFoldParams(FoldBatchNormParamsOp op);
  /// For each op of `block`, the values whose last use it is.
  const llvm::DenseMap<Operation *, SmallVector<Value>> &lastUses(Block &block);

  const Tensor &get(Value v) { return *env.lookup(v); }
  const Tensor *getOptional(Value v) { return v ? &get(v) : nullptr; }

  /// Emits a kernel's message at `op`, naming its layer when it has one.
  LogicalResult fail(Operation *op, const std::string &message) {
    InFlightDiagnostic diag = op->emitOpError() << message;
    if (auto layer = op->getAttrOfType<StringAttr>("layer"))
      diag << " (layer '" << layer.getValue() << "')";
    return diag;
  }

  func::FuncOp fn;
  const resc::TensorMap &params;
  llvm::DenseMap<Value, TensorPtr> env;
  llvm::DenseMap<Operation *, TensorPtr> paramCache;
  // Node-based, so runBlock can hold on to its block's entry while nested
  // regions add theirs.
  std::unordered_map<Block *, llvm::DenseMap<Operation *, SmallVector<Value>>>
      deaths;
  SymbolTableCollection symbols;
};

LogicalResult Interpreter::checkInputs(const std::vector<Tensor> &inputs) {
  if (fn.isExternal())
    return fn.emitError("function @") << fn.getName() << " has no body";
  if (!fn.getBody().hasOneBlock())
    return fn.emitError("the interpreter runs single-block functions only");
  auto argTypes = fn.getArgumentTypes();
  if (inputs.size() != argTypes.size())
    return fn.emitError("function @")
           << fn.getName() << " takes " << argTypes.size()
           << (argTypes.size() == 1 ? " input" : " inputs") << ", got "
           << inputs.size();
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor &t = inputs[i];
    std::string name = "#" + std::to_string(i);
    if (auto attr = fn.getArgAttrOfType<StringAttr>(i, kNameAttr))
      name += " '" + attr.getValue().str() + "'";
    int64_t numel = resc::checkedNumel(t.shape);
    if (numel < 0 || numel != t.numel())
      return fn.emitError("input ")
             << name << " has shape " << resc::shapeToString(t.shape) << " but "
             << t.numel() << " elements";
    auto type = dyn_cast<RankedTensorType>(argTypes[i]);
    if (!type || !type.getElementType().isF32())
      return fn.emitError("input ")
             << name << " has type " << argTypes[i]
             << "; the interpreter runs ranked f32 tensors only";
    if (!fitsType(t.shape, type))
      return fn.emitError("input ")
             << name << " has shape " << resc::shapeToString(t.shape)
             << " but the model expects " << typeString(argTypes[i]);
  }
  return success();
}

FailureOr<std::vector<Tensor>>
Interpreter::run(const std::vector<Tensor> &inputs) {
  // Verified IR is what makes the op accessors below safe to call.
  if (failed(verify(fn)) || failed(checkInputs(inputs)))
    return failure();
  SmallVector<TensorPtr> args;
  for (const Tensor &t : inputs)
    args.push_back(std::make_shared<const Tensor>(t));
  auto results = runBlock(fn.getBody().front(), args);
  if (failed(results))
    return failure();
  std::vector<Tensor> outputs;
  for (const TensorPtr &t : *results)
    outputs.push_back(*t);
  return outputs;
}

const llvm::DenseMap<Operation *, SmallVector<Value>> &
Interpreter::lastUses(Block &block) {
  auto [it, inserted] = deaths.try_emplace(&block);
  if (!inserted)
    return it->second;
  llvm::DenseMap<Value, Operation *> last;
  for (Operation &op : block) {
    // Freed after the op that makes them, when nothing reads them.
    for (Value result : op.getResults())
      last[result] = &op;
    for (Value operand : op.getOperands())
      last[operand] = &op;
  }
  for (auto [value, op] : last)
    it->second[op].push_back(value);
  return it->second;
}

FailureOr<SmallVector<TensorPtr>>
Interpreter::runBlock(Block &block, ArrayRef<TensorPtr> args) {
  if (block.getNumArguments() != args.size())
    return failure();
  for (auto [arg, t] : llvm::zip(block.getArguments(), args))
    env[arg] = t;
  const auto &dying = lastUses(block);
  for (Operation &op : block) {
    if (isa<YieldOp, func::ReturnOp>(op)) {
      SmallVector<TensorPtr> results;
      for (Value v : op.getOperands())
        results.push_back(env.lookup(v));
      // Values of a block die with it; a tied repeat's body is re-entered
      // with fresh ones.
      for (Value v : op.getOperands())
        env.erase(v);
      for (Value arg : block.getArguments())
        env.erase(arg);
      return results;
    }
    for (Value operand : op.getOperands())
      if (!env.count(operand))
        return op.emitOpError(
            "reads a value that the interpreter has not computed");
    if (failed(runOp(&op)))
      return failure();
    auto it = dying.find(&op);
    if (it != dying.end())
      for (Value v : it->second)
        env.erase(v);
  }
  return emitError(block.getParent()->getLoc(),
                   "block has no res.yield or func.return terminator");
}

FailureOr<TensorPtr> Interpreter::loadParam(WeightOp op) {
  auto param = symbols.lookupNearestSymbolFrom<ParamOp>(op, op.getParamAttr());
  if (!param)
    return op.emitOpError("refers to the unknown parameter ")
           << op.getParamAttr();
  if (TensorPtr cached = paramCache.lookup(param))
    return cached;
  StringRef name = param.getSymName();
  auto type = cast<RankedTensorType>(param.getType());
  std::vector<int64_t> declared(type.getShape().begin(), type.getShape().end());
  auto t = std::make_shared<Tensor>();
  if (auto value = param.getValueAttr()) {
    *t = Tensor(declared);
    std::string error = readElements(value, *t);
    if (!error.empty()) {
      InFlightDiagnostic diag = op.emitError("parameter '")
                                << name << "' cannot be read: " << error;
      diag.attachNote(param.getLoc()) << "declared here";
      return diag;
    }
  } else {
    auto it = params.find(name.str());
    if (it == params.end()) {
      InFlightDiagnostic diag = op.emitError("missing parameter '")
                                << name << "' of shape "
                                << resc::shapeToString(declared);
      diag.attachNote(param.getLoc()) << "declared here";
      return diag;
    }
    const Tensor &given = it->second;
    if (given.shape != declared || given.numel() != type.getNumElements()) {
      InFlightDiagnostic diag =
          op.emitError("parameter '")
          << name << "' has shape " << resc::shapeToString(given.shape) << " ("
          << given.numel() << " elements) but the model expects "
          << resc::shapeToString(declared);
      diag.attachNote(param.getLoc()) << "declared here";
      return diag;
    }
    *t = given;
  }
  paramCache[param] = t;
  return TensorPtr(t);
}

FailureOr<TensorPtr> Interpreter::runResidual(ResidualOp op) {
  TensorPtr x = env.lookup(op.getInput());
  auto branch = runBlock(op.getBranch().front(), {x});
  if (failed(branch))
    return failure();
  TensorPtr shortcut = x;
  if (!op.hasIdentityShortcut()) {
    auto s = runBlock(op.getShortcut().front(), {x});
    if (failed(s))
      return failure();
    shortcut = (*s)[0];
  }
  Tensor sum;
  std::string error;
  if (!kernels::residualSum(*shortcut, *(*branch)[0],
                            op.getBranchScale().convertToDouble(),
                            op.getOutputScale().convertToDouble(), sum, error))
    return fail(op, error);
  if (auto after = op.getAfter()) {
    Tensor activated;
    if (!kernels::activation(sum, *after, activated, error))
      return fail(op, error);
    sum = std::move(activated);
  }
  return std::make_shared<const Tensor>(std::move(sum));
}

FailureOr<TensorPtr> Interpreter::runRepeat(RepeatOp op) {
  TensorPtr x = env.lookup(op.getInput());
  // Read signed: getCount() is unsigned, so -1 would pass as a huge count.
  const int64_t count = op.getCountAttr().getInt();
  if (count < 1)
    return fail(op, "count must be at least 1, got " + std::to_string(count));
  for (int64_t i = 0; i < count; ++i) {
    auto next = runBlock(op.getBody().front(), {x});
    if (failed(next))
      return failure();
    // Dynamic dims could let a body change the shape while keeping the type.
    if ((*next)[0]->shape != x->shape)
      return fail(op, "iteration " + std::to_string(i) + " turns shape " +
                          resc::shapeToString(x->shape) + " into " +
                          resc::shapeToString((*next)[0]->shape));
    x = (*next)[0];
  }
  return x;
}

LogicalResult Interpreter::runFoldParams(FoldBatchNormParamsOp op) {
  Tensor weight, bias;
  std::string error;
  if (!kernels::foldBatchNormParams(
          get(op.getWeight()), get(op.getGamma()), get(op.getBeta()),
          get(op.getMean()), get(op.getVar()), getOptional(op.getBias()),
          op.getEpsilon().convertToDouble(), weight, bias, error))
    return fail(op, error);
  env[op.getFoldedWeight()] = std::make_shared<const Tensor>(std::move(weight));
  env[op.getFoldedBias()] = std::make_shared<const Tensor>(std::move(bias));
  return success();
}

LogicalResult Interpreter::runOp(Operation *op) {
  // The one op with two results.
  if (auto fold = dyn_cast<FoldBatchNormParamsOp>(op))
    return runFoldParams(fold);
  Tensor out;
  std::string error;
  // Ops that compute a new tensor with a kernel set `out` and return whether
  // it worked; structural ops hand back a tensor they already share.
  TensorPtr shared;
  auto result =
      llvm::TypeSwitch<Operation *, FailureOr<bool>>(op)
          .Case([&](WeightOp w) -> FailureOr<bool> {
            auto p = loadParam(w);
            if (failed(p))
              return failure();
            shared = *p;
            return true;
          })
          .Case([&](Conv2DOp c) -> FailureOr<bool> {
            kernels::Conv2DAttrs attrs;
            if (!convAttrs(c, attrs))
              return fail(op, "stride, padding and dilation need 2 values");
            return kernels::conv2d(get(c.getInput()), get(c.getWeight()),
                                   getOptional(c.getBias()), attrs, out, error);
          })
          .Case([&](FusedConv2DOp c) -> FailureOr<bool> {
            kernels::Conv2DAttrs attrs;
            if (!convAttrs(c, attrs))
              return fail(op, "stride, padding and dilation need 2 values");
            std::optional<Activation> act = c.getActivation();
            return kernels::fusedConv2d(get(c.getInput()), get(c.getWeight()),
                                        getOptional(c.getBias()),
                                        getOptional(c.getResidual()), attrs,
                                        c.getConvScale().convertToDouble(),
                                        c.getResidualScale().convertToDouble(),
                                        act ? &*act : nullptr, out, error);
          })
          .Case([&](BatchNormOp b) -> FailureOr<bool> {
            return kernels::batchNorm(
                get(b.getInput()), get(b.getWeight()), get(b.getBias()),
                get(b.getRunningMean()), get(b.getRunningVar()),
                b.getEpsilon().convertToDouble(), out, error);
          })
          .Case([&](ActivationOp a) -> FailureOr<bool> {
            return kernels::activation(get(a.getInput()), a.getKind(), out,
                                       error);
          })
          .Case<MaxPool2DOp, AvgPool2DOp>([&](auto p) -> FailureOr<bool> {
            kernels::Pool2DAttrs attrs;
            if (!toPair(p.getKernel(), attrs.kernel) ||
                !toPair(p.getStride(), attrs.stride) ||
                !toPair(p.getPadding(), attrs.padding))
              return fail(op, "kernel, stride and padding need 2 values");
            if (isa<MaxPool2DOp>(op))
              return kernels::maxPool2d(get(p.getInput()), attrs, out, error);
            return kernels::avgPool2d(get(p.getInput()), attrs, out, error);
          })
          .Case([&](GlobalAvgPoolOp g) -> FailureOr<bool> {
            return kernels::globalAvgPool(get(g.getInput()), out, error);
          })
          .Case([&](ChannelMulOp m) -> FailureOr<bool> {
            return kernels::channelMul(get(m.getInput()), get(m.getGate()), out,
                                       error);
          })
          .Case([&](FlattenOp f) -> FailureOr<bool> {
            return kernels::flatten(get(f.getInput()), out, error);
          })
          .Case([&](DenseOp d) -> FailureOr<bool> {
            return kernels::dense(get(d.getInput()), get(d.getWeight()),
                                  getOptional(d.getBias()), out, error);
          })
          .Case([&](UpsampleOp u) -> FailureOr<bool> {
            return kernels::upsample(get(u.getInput()), u.getFactor(), out,
                                     error);
          })
          .Case([&](AddOp a) -> FailureOr<bool> {
            return kernels::add(get(a.getLhs()), get(a.getRhs()), out, error);
          })
          .Case([&](ConcatOp c) -> FailureOr<bool> {
            return kernels::concat(get(c.getLhs()), get(c.getRhs()), out,
                                   error);
          })
          .Case([&](LayerNormOp l) -> FailureOr<bool> {
            return kernels::layerNorm(
                get(l.getInput()), getOptional(l.getWeight()),
                getOptional(l.getBias()), l.getEpsilon().convertToDouble(), out,
                error);
          })
          .Case([&](ChannelScaleOp s) -> FailureOr<bool> {
            return kernels::channelScale(get(s.getInput()), get(s.getScale()),
                                         out, error);
          })
          .Case([&](SoftmaxOp s) -> FailureOr<bool> {
            return kernels::softmax(get(s.getInput()), out, error);
          })
          .Case([&](TokensOp t) -> FailureOr<bool> {
            return kernels::tokens(get(t.getInput()), out, error);
          })
          .Case([&](ClassTokenOp c) -> FailureOr<bool> {
            return kernels::classToken(get(c.getInput()), get(c.getToken()),
                                       out, error);
          })
          .Case([&](PosEmbeddingOp e) -> FailureOr<bool> {
            return kernels::posEmbedding(get(e.getInput()),
                                         get(e.getEmbedding()), out, error);
          })
          .Case([&](TokenOp t) -> FailureOr<bool> {
            return kernels::token(get(t.getInput()), t.getIndex(), out, error);
          })
          .Case([&](AttentionHeadsOp a) -> FailureOr<bool> {
            return kernels::attentionHeads(get(a.getInput()), a.getHeads(), out,
                                           error);
          })
          .Case([&](AttentionOp a) -> FailureOr<bool> {
            kernels::AttentionParams p{
                &get(a.getInWeight()), getOptional(a.getInBias()),
                &get(a.getOutWeight()), getOptional(a.getOutBias()),
                a.getHeads()};
            return kernels::attention(get(a.getInput()), p, out, error);
          })
          .Case<ResidualOp, RepeatOp>([&](auto structural) -> FailureOr<bool> {
            FailureOr<TensorPtr> t = failure();
            if constexpr (std::is_same_v<decltype(structural), ResidualOp>)
              t = runResidual(structural);
            else
              t = runRepeat(structural);
            if (failed(t))
              return failure();
            shared = *t;
            return true;
          })
          .Default([&](Operation *) -> FailureOr<bool> {
            return runGradOp(
                op, [&](Value v) -> const Tensor & { return get(v); }, out,
                error);
          });
  if (failed(result))
    return failure();
  if (!*result)
    return fail(op, error);
  if (!shared)
    shared = std::make_shared<const Tensor>(std::move(out));

  if (op->getNumResults() != 1)
    return op->emitOpError("expected one result");
  Type type = op->getResult(0).getType();
  if (!fitsType(shared->shape, type))
    return fail(op, "computed shape " + resc::shapeToString(shared->shape) +
                        " does not fit the result type " + typeString(type));
  env[op->getResult(0)] = std::move(shared);
  return success();
}

} // namespace

FailureOr<std::vector<Tensor>> interpret(func::FuncOp fn,
                                         const std::vector<Tensor> &inputs,
                                         const resc::TensorMap &params) {
  // No function, no context to report in.
  if (!fn)
    return failure();
  return Interpreter(fn, params).run(inputs);
}

} // namespace res
