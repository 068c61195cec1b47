// Gradients of whole models: res-generate-gradients on every example (the
// ImageNet ResNets at 32x32), run on the reference interpreter, against
// central finite differences of L = sum(y * dy) on the same interpreter.
//
// Each check is a directional derivative: for a random direction v of a
// parameter (or input) tensor, (L(p + h v) - L(p - h v)) / 2h against
// <dL/dp, v>. One direction per tensor averages over its elements, so a
// ReLU kink crossed by one element barely moves it, and L is summed in
// double from the interpreter's f32 outputs. The per-op checks in double
// precision are in tests/interpreter/GradKernelsTest.cpp.
#include "PassTestUtil.h"

#include "compiler/interpreter/Interpreter.h"
#include "compiler/passes/Passes.h"

#include "resc/Random.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace mlir;

namespace res::testing {
namespace {

constexpr uint64_t kSeed = 11;
// Training-mode batch norm needs more than one value per channel, also
// after global pooling.
constexpr int64_t kBatch = 2;

struct Example {
  const char *name;
  std::vector<std::pair<std::string, std::string>> replacements;
  /// Parameter tensors checked (spread over the model), besides the input.
  int tensorsChecked;
};

void PrintTo(const Example &e, std::ostream *os) { *os << e.name; }

resc::Tensor randomLike(const resc::Tensor &t, resc::Random &rng) {
  resc::Tensor r;
  r.shape = t.shape;
  r.data.resize(t.data.size());
  for (float &v : r.data)
    v = static_cast<float>(rng.normal());
  return r;
}

double dot(const resc::Tensor &a, const resc::Tensor &b) {
  double s = 0;
  for (size_t i = 0; i < a.data.size(); ++i)
    s += double(a.data[i]) * b.data[i];
  return s;
}

double rms(const resc::Tensor &t) {
  return t.data.empty() ? 0 : std::sqrt(dot(t, t) / t.data.size());
}

/// ReLU made GELU and max pooling average pooling, everywhere: a finite
/// difference across a kink (the step moves thousands of values at once) is
/// off by more than the tolerance, while the smooth variants exercise the
/// same gradient paths. ReLU's and max pooling's own gradients are checked
/// per op, in double, by tests/interpreter.
void smoothActivations(ModuleOp module) {
  auto gelu = ActivationAttr::get(module.getContext(), Activation::gelu);
  SmallVector<MaxPool2DOp> pools;
  module.walk([&](MaxPool2DOp pool) { pools.push_back(pool); });
  for (MaxPool2DOp pool : pools) {
    OpBuilder builder(pool);
    pool.replaceAllUsesWith(
        builder
            .create<AvgPool2DOp>(pool.getLoc(), pool.getType(), pool.getInput(),
                                 pool.getKernelAttr(), pool.getStrideAttr(),
                                 pool.getPaddingAttr(), pool.getLayerAttr())
            .getResult());
    pool.erase();
  }
  module.walk([&](Operation *op) {
    if (auto act = dyn_cast<ActivationOp>(op);
        act && act.getKind() == Activation::relu)
      act.setKindAttr(gelu);
    if (auto block = dyn_cast<ResidualOp>(op);
        block && block.getAfter() == Activation::relu)
      block.setAfterAttr(gelu);
  });
}

/// A copy of `train` that returns only its first `outputs` results, with
/// the ops nothing then uses (the backward pass) removed.
func::FuncOp forwardOnly(func::FuncOp train, size_t outputs) {
  OpBuilder builder(train);
  builder.setInsertionPointAfter(train);
  auto fn = cast<func::FuncOp>(builder.clone(*train));
  fn.setName((train.getName() + "_forward").str());
  auto ret = cast<func::ReturnOp>(fn.getBody().front().getTerminator());
  SmallVector<Value> kept(ret.getOperands().take_front(outputs));
  builder.setInsertionPoint(ret);
  builder.create<func::ReturnOp>(ret.getLoc(), kept);
  ret.erase();
  SmallVector<Type> types;
  for (Value v : kept)
    types.push_back(v.getType());
  fn.setType(FunctionType::get(fn.getContext(),
                               fn.getFunctionType().getInputs(), types));
  fn.removeResAttrsAttr();
  SmallVector<Operation *> ops;
  for (Operation &op : fn.getBody().front().without_terminator())
    ops.push_back(&op);
  for (Operation *op : llvm::reverse(ops))
    if (op->use_empty())
      op->erase();
  return fn;
}

class GradientsTest : public ::testing::TestWithParam<Example> {};

TEST_P(GradientsTest, MatchFiniteDifferences) {
  const Example &example = GetParam();
  QuietContext context;
  auto module =
      compileExample(context.get(), example.name, example.replacements);
  ASSERT_TRUE(module);
  smoothActivations(*module);
  func::FuncOp model = modelFunction(*module);
  std::string modelName = model.getName().str();
  resc::TensorMap params = randomWeights(*module, kSeed);
  std::vector<resc::Tensor> inputs = seededInputs(model, kSeed, kBatch);
  ASSERT_TRUE(runPipeline(*module, [&](OpPassManager &pm) {
    pm.addPass(createGenerateGradients({modelName}));
  }));
  auto train = module->lookupSymbol<func::FuncOp>(modelName + "_train");
  ASSERT_TRUE(train);

  resc::Random rng(kSeed, "gradient-check");
  std::vector<resc::Tensor> dys;
  for (Type t : model.getResultTypes()) {
    resc::Tensor dy;
    for (int64_t d : cast<RankedTensorType>(t).getShape())
      dy.shape.push_back(ShapedType::isDynamic(d) ? kBatch : d);
    dy.data.resize(resc::checkedNumel(dy.shape));
    dys.push_back(randomLike(dy, rng));
  }
  auto run = [&](const std::vector<resc::Tensor> &x, const resc::TensorMap &p) {
    std::vector<resc::Tensor> all = x;
    all.insert(all.end(), dys.begin(), dys.end());
    return res::interpret(train, all, p);
  };
  // The finite differences need only the outputs: the training forward
  // pass alone, without the backward ops, is a third of the work.
  func::FuncOp forward = forwardOnly(train, dys.size());
  auto loss = [&](const std::vector<resc::Tensor> &x,
                  const resc::TensorMap &p) {
    std::vector<resc::Tensor> all = x;
    all.insert(all.end(), dys.begin(), dys.end());
    auto out = res::interpret(forward, all, p);
    EXPECT_TRUE(succeeded(out));
    double l = 0;
    for (size_t i = 0; succeeded(out) && i < dys.size(); ++i)
      l += dot((*out)[i], dys[i]);
    return l;
  };

  auto results = run(inputs, params);
  ASSERT_TRUE(succeeded(results));
  std::map<std::string, const resc::Tensor *> grads;
  std::vector<std::string> paramNames;
  for (unsigned i = 0; i < results->size(); ++i) {
    auto role = train.getResultAttrOfType<StringAttr>(i, "res.role");
    auto name = train.getResultAttrOfType<StringAttr>(i, "res.name");
    ASSERT_TRUE(role && name);
    if (role == "param_grad") {
      paramNames.push_back(name.str());
      ASSERT_EQ((*results)[i].shape, params.at(name.str()).shape) << name.str();
    }
    if (role == "param_grad" || role == "input_grad")
      grads[(role == "input_grad" ? "input:" : "") + name.str()] =
          &(*results)[i];
  }
  ASSERT_FALSE(paramNames.empty());

  // Which tensors: the input and `tensorsChecked` parameters spread evenly
  // from the first layer to the last.
  std::vector<std::string> checked = {"input"};
  int n = std::min<int>(example.tensorsChecked, paramNames.size());
  for (int k = 0; k < n; ++k)
    checked.push_back(
        paramNames[n == 1 ? 0 : k * (paramNames.size() - 1) / (n - 1)]);
  for (const std::string &what : checked) {
    bool isInput = what == "input";
    std::string inputName =
        "input:" + train.getArgAttrOfType<StringAttr>(0, "res.name").str();
    const resc::Tensor &value = isInput ? inputs[0] : params.at(what);
    const resc::Tensor &grad = *grads.at(isInput ? inputName : what);
    resc::Tensor v = randomLike(value, rng);
    // A step of 1% of the tensor's size keeps f32 rounding in L well below
    // the difference; Richardson extrapolation of the steps h and h/2 then
    // cancels the h^2 error of the central difference.
    double h = 1e-2 * std::max(rms(value), 0.1);
    auto shifted = [&](double t) {
      std::vector<resc::Tensor> x = inputs;
      resc::TensorMap p = params;
      resc::Tensor &target = isInput ? x[0] : p.at(what);
      for (size_t i = 0; i < target.data.size(); ++i)
        target.data[i] += static_cast<float>(t * v.data[i]);
      return loss(x, p);
    };
    auto central = [&](double step) {
      return (shifted(step) - shifted(-step)) / (2 * step);
    };
    double numeric = (4 * central(h / 2) - central(h)) / 3;
    double analytic = dot(grad, v);
    double scale = std::max({std::abs(numeric), std::abs(analytic), 1e-3});
    EXPECT_LE(std::abs(numeric - analytic), 2e-2 * scale)
        << example.name << ": " << what << " analytic " << analytic
        << " numeric " << numeric;
  }
}

const char *kImageNet224 = "f32[N, 3, 224, 224]";
// At 64x64 the last stage is 2x2, so its batch statistics are over 8 values.
const char *kSmall = "f32[N, 3, 64, 64]";

INSTANTIATE_TEST_SUITE_P(
    Examples, GradientsTest,
    ::testing::Values(Example{"resnet20", {}, 6}, Example{"tied_ode", {}, 6},
                      Example{"resmlp", {}, 6}, Example{"unet_small", {}, 6},
                      Example{"scaled_blocks", {}, 6},
                      Example{"expressions", {}, 6},
                      Example{"convnext_mini", {}, 6},
                      Example{"resnet18", {{kImageNet224, kSmall}}, 4}),
    [](const auto &info) { return std::string(info.param.name); });

} // namespace
} // namespace res::testing
