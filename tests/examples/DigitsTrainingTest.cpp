// The training demo's networks (examples/train_digits/digits.res, and
// digits_mobile.res and digits_vit.res, its MobileNet-style and Vision
// Transformer counterparts) trained
// with the demo's data reader, seeded weights, optimiser and schedule,
// without the AOT training library: res-generate-gradients builds
// @digits_train; a step runs its forward pass, puts softmax cross-entropy
// on the logits, runs the whole function with that gradient and updates
// the parameters with SGD; the running statistics come back as results.
// Once on the reference interpreter (a short run: the loss falls, the
// held-out accuracy leaves chance) and once through the JIT, the kernels
// that `resc compile --train` puts in the demo's library (the demo's
// default 20 epochs: at least 97% on the held-out fifth).
//
// RESC_DIGITS_EPOCHS=N trains N full epochs in both and prints each
// epoch's loss and accuracies (the numbers in the demo's README).
#include "../passes/PassTestUtil.h"

#include "compiler/codegen/JitModel.h"
#include "compiler/codegen/KernelCache.h"
#include "compiler/interpreter/Interpreter.h"
#include "compiler/passes/Passes.h"
#include "compiler/weights/InitWeights.h"

#include "resc/Random.h"
#include "resc/resc_train.h"

#include "digits_data.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <numeric>

using namespace mlir;

namespace res::testing {
namespace {

// The demo's defaults (train_digits.c): keep them in step.
constexpr uint64_t kSeed = 1;
constexpr int64_t kBatch = 32;
constexpr double kLearningRate = 0.05;
/// The Vision Transformer's: at 0.05 its loss stays at chance for ten
/// epochs (measured: 48% after 20); at 0.01 it passes 95% (README).
constexpr double kTransformerLearningRate = 0.01;
constexpr double kMomentum = 0.9;
constexpr double kWeightDecay = 5e-4;

/// A copy of `train` returning only its first `outputs` results, the ops
/// nothing then uses (the backward pass) removed: the logits are needed
/// before the gradient that the whole function takes can be computed.
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

resc::Tensor imagesOf(const digits_set &set, const std::vector<int64_t> &order,
                      size_t first, size_t count) {
  resc::Tensor x({int64_t(count), 1, DIGITS_SIDE, DIGITS_SIDE});
  for (size_t b = 0; b < count; ++b)
    std::copy_n(set.images + order[first + b] * DIGITS_PIXELS, DIGITS_PIXELS,
                x.data.begin() + b * DIGITS_PIXELS);
  return x;
}

int64_t correct(const resc::Tensor &logits, const int32_t *labels) {
  int64_t hits = 0;
  for (int64_t b = 0; b < logits.shape[0]; ++b) {
    const float *row = logits.data.data() + b * DIGITS_CLASSES;
    hits += std::max_element(row, row + DIGITS_CLASSES) - row == labels[b];
  }
  return hits;
}

using RunFn = std::function<FailureOr<std::vector<resc::Tensor>>(
    const std::vector<resc::Tensor> &, const resc::TensorMap &)>;

/// How a function of the module is run: on the interpreter or compiled.
enum class Engine { Interpreter, Jit };

void PrintTo(Engine e, std::ostream *os) {
  *os << (e == Engine::Jit ? "Jit" : "Interpreter");
}

class DigitsTraining
    : public ::testing::TestWithParam<std::tuple<std::string, Engine>> {};

TEST_P(DigitsTraining, LearnsTheDigits) {
  const std::string name = std::get<0>(GetParam());
  const Engine engine = std::get<1>(GetParam());
  const bool jit = engine == Engine::Jit;
  const char *env = std::getenv("RESC_DIGITS_EPOCHS");
  // By default the interpreter takes the first 32 steps of one epoch
  // (seconds: enough to show learning), the JIT the demo's 20 epochs.
  const int epochs = env ? std::max(1, std::atoi(env)) : jit ? 20 : 1;
  const size_t maxSteps = env || jit ? SIZE_MAX : 32;
  const bool transformer = name == "digits_vit";
  const double learningRate =
      transformer ? kTransformerLearningRate : kLearningRate;

  digits_data data{};
  char error[256] = "";
  ASSERT_EQ(digits_load(RESC_DIGITS_CSV, &data, error, sizeof error), 0)
      << error;

  QuietContext context;
  auto module = compileExample(context.get(), "train_digits/" + name);
  ASSERT_TRUE(module);
  resc::TensorMap params;
  std::string initError;
  ASSERT_TRUE(initParams(*module, kSeed, params, initError)) << initError;
  func::FuncOp model = modelFunction(*module);
  ASSERT_TRUE(runPipeline(*module, [&name](OpPassManager &pm) {
    pm.addPass(createGenerateGradients({name}));
  }));
  auto train = module->lookupSymbol<func::FuncOp>(name + "_train");
  ASSERT_TRUE(train);
  func::FuncOp forward = forwardOnly(train, 1);

  // Compiled models must not outlive the context; these live in the test.
  std::vector<std::unique_ptr<codegen::CompiledModel>> compiled;
  // The training forward pass alone and the whole training function share
  // their forward kernels: compile those once.
  auto cache = std::make_shared<codegen::KernelCache>();
  auto runnerOf = [&](func::FuncOp fn) -> RunFn {
    if (!jit)
      return
          [fn](const std::vector<resc::Tensor> &x, const resc::TensorMap &p) {
            return res::interpret(fn, x, p);
          };
    codegen::CompileOptions options;
    options.function = fn.getName().str();
    options.cache = cache;
    auto model = codegen::CompiledModel::compile(*module, options);
    EXPECT_TRUE(succeeded(model)) << "cannot compile @" << options.function;
    if (failed(model))
      return nullptr;
    compiled.push_back(
        std::make_unique<codegen::CompiledModel>(std::move(*model)));
    codegen::CompiledModel *raw = compiled.back().get();
    return [raw](const std::vector<resc::Tensor> &x, const resc::TensorMap &p) {
      return raw->run(x, p);
    };
  };
  RunFn runModel = runnerOf(model), runForward = runnerOf(forward),
        runTrain = runnerOf(train);
  ASSERT_TRUE(runModel && runForward && runTrain);

  // The optimiser's arrays: the trainable parameters, in the order of the
  // function's param_grad results.
  std::vector<std::string> trainable;
  for (unsigned i = 0; i < train.getNumResults(); ++i)
    if (train.getResultAttrOfType<StringAttr>(i, "res.role") == "param_grad")
      trainable.push_back(
          train.getResultAttrOfType<StringAttr>(i, "res.name").str());
  ASSERT_FALSE(trainable.empty());
  std::vector<int64_t> counts;
  for (const std::string &name : trainable)
    counts.push_back(params.at(name).numel());
  resc_sgd_options sgd{learningRate, kMomentum, 0, kWeightDecay, 0};
  resc_optimizer *optimizer = nullptr;
  ASSERT_EQ(
      resc_optimizer_create_sgd(&sgd, counts.size(), counts.data(), &optimizer),
      RESC_OK)
      << resc_train_error_message();

  auto testAccuracy = [&] {
    std::vector<int64_t> all(data.test.count);
    std::iota(all.begin(), all.end(), 0);
    auto logits = runModel({imagesOf(data.test, all, 0, all.size())}, params);
    EXPECT_TRUE(succeeded(logits));
    return succeeded(logits) ? double(correct((*logits)[0], data.test.labels)) /
                                   data.test.count
                             : 0.0;
  };

  const double initialAccuracy = testAccuracy();
  std::vector<int64_t> order(data.train.count);
  std::iota(order.begin(), order.end(), 0);
  resc::Random rng(kSeed, "shuffle");
  double firstLoss = -1, lastLoss = -1, accuracy = initialAccuracy;
  auto runStart = std::chrono::steady_clock::now();
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    auto start = std::chrono::steady_clock::now();
    for (size_t i = order.size() - 1; i > 0; --i)
      std::swap(order[i], order[rng.next() % (i + 1)]);
    // Cosine decay over the whole run, per epoch, as the demo does.
    ASSERT_EQ(resc_optimizer_set_learning_rate(
                  optimizer, learningRate * 0.5 *
                                 (1 + std::cos(M_PI * (epoch - 1) / epochs))),
              RESC_OK);
    double lossSum = 0;
    int64_t seen = 0, hits = 0;
    size_t steps = 0;
    for (size_t first = 0; first + kBatch <= order.size() && steps < maxSteps;
         first += kBatch, ++steps) {
      resc::Tensor x = imagesOf(data.train, order, first, kBatch);
      std::vector<int32_t> labels(kBatch);
      for (int64_t b = 0; b < kBatch; ++b)
        labels[b] = data.train.labels[order[first + b]];
      resc::Tensor dy({kBatch, DIGITS_CLASSES});
      auto logits = runForward({x, dy}, params);
      ASSERT_TRUE(succeeded(logits));
      float loss = 0;
      ASSERT_EQ(resc_softmax_cross_entropy(
                    (*logits)[0].data.data(), labels.data(), kBatch,
                    DIGITS_CLASSES, &loss, dy.data.data()),
                RESC_OK);
      auto results = runTrain({x, dy}, params);
      ASSERT_TRUE(succeeded(results));
      std::map<std::string, const resc::Tensor *> grads;
      for (unsigned i = 0; i < results->size(); ++i) {
        auto role = train.getResultAttrOfType<StringAttr>(i, "res.role");
        std::string name =
            train.getResultAttrOfType<StringAttr>(i, "res.name").str();
        if (role == "param_grad")
          grads[name] = &(*results)[i];
        else if (role == "running_stat")
          params.at(name) = (*results)[i];
      }
      std::vector<float *> p;
      std::vector<const float *> g;
      for (const std::string &name : trainable) {
        p.push_back(params.at(name).data.data());
        g.push_back(grads.at(name)->data.data());
      }
      ASSERT_EQ(resc_optimizer_step(optimizer, p.data(), g.data()), RESC_OK)
          << resc_optimizer_error_message(optimizer);
      lossSum += double(loss) * kBatch;
      seen += kBatch;
      hits += correct((*logits)[0], labels.data());
      if (firstLoss < 0)
        firstLoss = loss;
    }
    lastLoss = lossSum / seen;
    accuracy = testAccuracy();
    auto seconds = [](auto from) {
      return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                           from)
          .count();
    };
    std::printf("epoch %d: loss %.4f, train accuracy %.2f%%, test accuracy "
                "%.2f%% (%.2f s, %.1f s in all, %s)\n",
                epoch, lastLoss, 100.0 * hits / seen, 100.0 * accuracy,
                seconds(start), seconds(runStart), jit ? "JIT" : "interpreter");
  }
  resc_optimizer_destroy(optimizer);
  digits_free(&data);

  // Ten classes: the seeded network is near chance (about 10%); the mean
  // loss of the steps taken falls below the first step's, and even the
  // short run leaves chance far behind on the held-out fifth (the
  // Transformer's only from its second epoch: 31% after one, 61-86%
  // after five).
  EXPECT_LT(initialAccuracy, 0.3);
  EXPECT_LT(lastLoss, firstLoss);
  if (!transformer || epochs >= 5)
    EXPECT_GT(accuracy, 0.5);
  // The demo's target; the Transformer's (issue: 95%) is lower: with 16
  // tokens of 32 features it fits the training set (99.6%) and generalises
  // worse than the convolutions on 1,437 images.
  if (epochs >= 10)
    EXPECT_GE(accuracy, transformer ? 0.95 : 0.97) << "the demo's target";
}

INSTANTIATE_TEST_SUITE_P(
    Models, DigitsTraining,
    ::testing::Combine(::testing::Values("digits", "digits_mobile",
                                         "digits_vit"),
                       ::testing::Values(Engine::Interpreter, Engine::Jit)),
    [](const auto &info) {
      return std::get<0>(info.param) +
             (std::get<1>(info.param) == Engine::Jit ? "_Jit" : "_Interpreter");
    });

} // namespace
} // namespace res::testing
