// The training demo's network (examples/train_digits/digits.res) trained on
// the reference interpreter, with the demo's data reader, seeded weights
// and optimiser: res-generate-gradients builds @digits_train, a training
// step runs its forward pass, puts softmax cross-entropy on the logits and
// runs the whole function with that gradient, and SGD updates the
// parameters; the running statistics come back as results. This checks the
// architecture and the hyperparameters of the demo (train_digits.c) without
// the compiled training library, and that the loss actually falls.
//
// A short run by default; RESC_DIGITS_EPOCHS=N trains N full epochs and
// prints each epoch's loss and accuracies (the numbers in the demo's
// README were first measured this way).
#include "../passes/PassTestUtil.h"

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
#include <map>
#include <numeric>

using namespace mlir;

namespace res::testing {
namespace {

// The demo's defaults (train_digits.c): keep them in step.
constexpr uint64_t kSeed = 1;
constexpr int64_t kBatch = 32;
constexpr double kLearningRate = 0.05;
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

TEST(DigitsInterpreterTraining, LossFallsAndTestAccuracyRises) {
  const char *env = std::getenv("RESC_DIGITS_EPOCHS");
  const int epochs = env ? std::max(1, std::atoi(env)) : 1;
  // By default one epoch over the first steps only: enough to show
  // learning in seconds; the full epochs are for measuring.
  const size_t maxSteps = env ? SIZE_MAX : 16;

  digits_data data{};
  char error[256] = "";
  ASSERT_EQ(digits_load(RESC_DIGITS_CSV, &data, error, sizeof error), 0)
      << error;

  QuietContext context;
  auto module = compileExample(context.get(), "train_digits/digits");
  ASSERT_TRUE(module);
  resc::TensorMap params;
  std::string initError;
  ASSERT_TRUE(initParams(*module, kSeed, params, initError)) << initError;
  func::FuncOp model = modelFunction(*module);
  ASSERT_TRUE(runPipeline(*module, [](OpPassManager &pm) {
    pm.addPass(createGenerateGradients({"digits"}));
  }));
  auto train = module->lookupSymbol<func::FuncOp>("digits_train");
  ASSERT_TRUE(train);
  func::FuncOp forward = forwardOnly(train, 1);

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
  resc_sgd_options sgd{kLearningRate, kMomentum, 0, kWeightDecay, 0};
  resc_optimizer *optimizer = nullptr;
  ASSERT_EQ(
      resc_optimizer_create_sgd(&sgd, counts.size(), counts.data(), &optimizer),
      RESC_OK)
      << resc_train_error_message();

  auto testAccuracy = [&] {
    std::vector<int64_t> all(data.test.count);
    std::iota(all.begin(), all.end(), 0);
    auto logits = res::interpret(
        model, {imagesOf(data.test, all, 0, all.size())}, params);
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
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    auto start = std::chrono::steady_clock::now();
    for (size_t i = order.size() - 1; i > 0; --i)
      std::swap(order[i], order[rng.next() % (i + 1)]);
    // Cosine decay over the whole run, per epoch, as the demo does.
    ASSERT_EQ(resc_optimizer_set_learning_rate(
                  optimizer, kLearningRate * 0.5 *
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
      auto logits = res::interpret(forward, {x, dy}, params);
      ASSERT_TRUE(succeeded(logits));
      float loss = 0;
      ASSERT_EQ(resc_softmax_cross_entropy(
                    (*logits)[0].data.data(), labels.data(), kBatch,
                    DIGITS_CLASSES, &loss, dy.data.data()),
                RESC_OK);
      auto results = res::interpret(train, {x, dy}, params);
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
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    std::printf("epoch %d: loss %.4f, train accuracy %.2f%%, test accuracy "
                "%.2f%% (%.1f s on the interpreter)\n",
                epoch, lastLoss, 100.0 * hits / seen, 100.0 * accuracy,
                seconds);
  }
  resc_optimizer_destroy(optimizer);
  digits_free(&data);

  // Ten classes: the seeded network is near chance (about 10%); the mean
  // loss of the steps taken falls below the first step's, and after the
  // short run the held-out fifth is well above chance.
  EXPECT_LT(initialAccuracy, 0.3);
  EXPECT_LT(lastLoss, firstLoss);
  EXPECT_GT(accuracy, 0.5);
  if (env && epochs >= 30)
    EXPECT_GE(accuracy, 0.97);
}

} // namespace
} // namespace res::testing
