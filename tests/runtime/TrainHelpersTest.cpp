//===- TrainHelpersTest.cpp - Losses and optimisers of resc_train.h -------===//
//
// The losses against a double-precision computation written here (no
// max-shift, exp/sum of the softmax directly) and against central finite
// differences of the loss they return; the optimisers against a
// double-precision re-implementation of PyTorch's SGD and Adam over several
// steps, with gradients that depend on the parameters so that the trajectory
// matters; and every bad argument's code and message.
//
//===----------------------------------------------------------------------===//

#include "resc/resc_train.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

extern "C" int resc_test_train_header_from_c(void);

namespace {

std::vector<float> randomFloats(size_t count, unsigned seed, float scale) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> values(count);
  for (float &v : values)
    v = normal(rng);
  return values;
}

//===----------------------------------------------------------------------===//
// Softmax cross-entropy
//===----------------------------------------------------------------------===//

struct CrossEntropyCase {
  std::vector<float> logits;
  std::vector<int32_t> labels;
  int64_t batch, classes;
};

CrossEntropyCase randomCase(int64_t batch, int64_t classes, unsigned seed) {
  CrossEntropyCase c{
      randomFloats(batch * classes, seed, 2.0f), {}, batch, classes};
  std::mt19937 rng(seed + 1);
  for (int64_t b = 0; b < batch; ++b)
    c.labels.push_back(static_cast<int32_t>(rng() % classes));
  return c;
}

// -log(exp(x_label) / sum exp(x_j)) straight from the definition, for
// logits small enough not to overflow.
double referenceCrossEntropy(const CrossEntropyCase &c,
                             std::vector<double> *grad) {
  double loss = 0;
  if (grad)
    grad->assign(c.logits.size(), 0.0);
  for (int64_t b = 0; b < c.batch; ++b) {
    double denominator = 0;
    for (int64_t j = 0; j < c.classes; ++j)
      denominator += std::exp(double(c.logits[b * c.classes + j]));
    loss -= std::log(std::exp(double(c.logits[b * c.classes + c.labels[b]])) /
                     denominator) /
            c.batch;
    for (int64_t j = 0; grad && j < c.classes; ++j) {
      double softmax =
          std::exp(double(c.logits[b * c.classes + j])) / denominator;
      (*grad)[b * c.classes + j] =
          (softmax - (j == c.labels[b] ? 1.0 : 0.0)) / c.batch;
    }
  }
  return loss;
}

float crossEntropy(const CrossEntropyCase &c, std::vector<float> *grad) {
  float loss = -1;
  if (grad)
    grad->assign(c.logits.size(), 0.0f);
  resc_status status = resc_softmax_cross_entropy(
      c.logits.data(), c.labels.data(), c.batch, c.classes, &loss,
      grad ? grad->data() : nullptr);
  EXPECT_EQ(status, RESC_OK) << resc_train_error_message();
  return loss;
}

TEST(TrainLoss, CrossEntropyMatchesDoubleReference) {
  for (auto [batch, classes] :
       {std::pair<int64_t, int64_t>{1, 1}, {1, 10}, {5, 7}, {32, 10}}) {
    CrossEntropyCase c = randomCase(batch, classes, 7 + unsigned(batch));
    std::vector<double> expectedGrad;
    double expected = referenceCrossEntropy(c, &expectedGrad);
    std::vector<float> grad;
    float loss = crossEntropy(c, &grad);
    EXPECT_NEAR(loss, expected, 1e-6 * std::max(1.0, expected))
        << batch << "x" << classes;
    for (size_t i = 0; i < grad.size(); ++i)
      EXPECT_NEAR(grad[i], expectedGrad[i], 1e-7) << "element " << i;
    // Without grad_logits the loss is the same.
    EXPECT_EQ(crossEntropy(c, nullptr), loss);
  }
}

TEST(TrainLoss, CrossEntropyKnownValue) {
  // Uniform logits: the loss is log(classes) whatever the label, and the
  // gradient is 1/classes less one at the label, over the batch.
  CrossEntropyCase c{std::vector<float>(8, 3.5f), {1, 3}, 2, 4};
  std::vector<float> grad;
  EXPECT_NEAR(crossEntropy(c, &grad), std::log(4.0), 1e-7);
  EXPECT_NEAR(grad[0], 0.25 / 2, 1e-8);
  EXPECT_NEAR(grad[1], -0.75 / 2, 1e-8);
  EXPECT_NEAR(grad[7], -0.75 / 2, 1e-8);
}

// The gradient is that of the loss the function returns: central
// differences of the float loss, with a step large enough that its rounding
// (about 1e-7 of a loss near 2) stays far below the tolerance.
TEST(TrainLoss, CrossEntropyGradientMatchesFiniteDifferences) {
  CrossEntropyCase c = randomCase(3, 5, 21);
  std::vector<float> grad;
  crossEntropy(c, &grad);
  const float h = 1e-2f;
  for (size_t i = 0; i < c.logits.size(); ++i) {
    CrossEntropyCase plus = c, minus = c;
    plus.logits[i] += h;
    minus.logits[i] -= h;
    double numeric =
        (double(crossEntropy(plus, nullptr)) - crossEntropy(minus, nullptr)) /
        (double(plus.logits[i]) - minus.logits[i]);
    EXPECT_NEAR(grad[i], numeric, 1e-4) << "logit " << i;
  }
}

TEST(TrainLoss, CrossEntropyIsStableForHugeLogits) {
  // Logits of 1e4 overflow exp in any precision; shifting every logit of a
  // row by the same amount changes neither the loss nor the gradient.
  CrossEntropyCase small{{0.0f, -1.0f, -3.0f, 2.0f, 0.5f, 0.0f}, {2, 1}, 2, 3};
  CrossEntropyCase huge = small;
  for (size_t i = 0; i < 3; ++i)
    huge.logits[i] += 1e4f;
  for (size_t i = 3; i < 6; ++i)
    huge.logits[i] -= 1e4f;
  std::vector<double> expectedGrad;
  double expected = referenceCrossEntropy(small, &expectedGrad);
  std::vector<float> grad;
  float loss = crossEntropy(huge, &grad);
  ASSERT_TRUE(std::isfinite(loss));
  EXPECT_NEAR(loss, expected, 1e-5);
  for (size_t i = 0; i < grad.size(); ++i) {
    ASSERT_TRUE(std::isfinite(grad[i])) << i;
    EXPECT_NEAR(grad[i], expectedGrad[i], 1e-6) << i;
  }

  // A label whose logit is 2e4 below the others: the loss is about 2e4, not
  // infinite, and the gradient at the label is -1/batch.
  CrossEntropyCase far{{1e4f, -1e4f}, {1}, 1, 2};
  loss = crossEntropy(far, &grad);
  EXPECT_FLOAT_EQ(loss, 2e4f);
  EXPECT_FLOAT_EQ(grad[0], 1.0f);
  EXPECT_FLOAT_EQ(grad[1], -1.0f);
}

//===----------------------------------------------------------------------===//
// Mean squared error
//===----------------------------------------------------------------------===//

float mse(const std::vector<float> &pred, const std::vector<float> &target,
          std::vector<float> *grad) {
  float loss = -1;
  if (grad)
    grad->assign(pred.size(), 0.0f);
  EXPECT_EQ(resc_mse_loss(pred.data(), target.data(), int64_t(pred.size()),
                          &loss, grad ? grad->data() : nullptr),
            RESC_OK)
      << resc_train_error_message();
  return loss;
}

TEST(TrainLoss, MseMatchesDoubleReference) {
  std::vector<float> pred = randomFloats(37, 3, 1.5f);
  std::vector<float> target = randomFloats(37, 4, 1.0f);
  double expected = 0;
  for (size_t i = 0; i < pred.size(); ++i)
    expected += std::pow(double(pred[i]) - target[i], 2);
  expected /= double(pred.size());
  std::vector<float> grad;
  EXPECT_NEAR(mse(pred, target, &grad), expected, 1e-6 * expected);
  for (size_t i = 0; i < pred.size(); ++i)
    EXPECT_NEAR(grad[i], 2 * (double(pred[i]) - target[i]) / pred.size(), 1e-7)
        << i;
  EXPECT_FLOAT_EQ(mse({1, 2}, {3, 2}, nullptr), 2.0f);
}

TEST(TrainLoss, MseGradientMatchesFiniteDifferences) {
  std::vector<float> pred = randomFloats(6, 5, 1.0f);
  std::vector<float> target = randomFloats(6, 6, 1.0f);
  std::vector<float> grad;
  mse(pred, target, &grad);
  for (size_t i = 0; i < pred.size(); ++i) {
    std::vector<float> plus = pred, minus = pred;
    plus[i] += 1e-2f;
    minus[i] -= 1e-2f;
    double numeric =
        (double(mse(plus, target, nullptr)) - mse(minus, target, nullptr)) /
        (double(plus[i]) - minus[i]);
    EXPECT_NEAR(grad[i], numeric, 1e-4) << i;
  }
}

//===----------------------------------------------------------------------===//
// Optimisers: a double-precision PyTorch written out step by step
//===----------------------------------------------------------------------===//

// A toy objective per element, sum_i a_i/2 (p_i - c_i)^2 + sin(p_i), so the
// gradient depends on where the parameters have moved.
double toyGradient(double p, size_t i) {
  double a = 0.5 + 0.25 * double(i % 4);
  double c = double(i % 3) - 1.0;
  return a * (p - c) + std::cos(p);
}

using Arrays = std::vector<std::vector<float>>;
using ArraysD = std::vector<std::vector<double>>;

Arrays initialParams() {
  return {randomFloats(5, 11, 1.0f), randomFloats(1, 12, 1.0f),
          randomFloats(9, 13, 1.0f)};
}

// torch.optim.SGD._single_tensor_sgd in double: the buffer is created from
// the (decayed) gradient on the first step, then damped.
struct ReferenceSgd {
  double lr, momentum, dampening, weightDecay;
  bool nesterov;
  ArraysD buffers;

  void step(ArraysD &params, const ArraysD &grads) {
    bool first = buffers.empty();
    if (first)
      buffers = grads;
    for (size_t a = 0; a < params.size(); ++a)
      for (size_t i = 0; i < params[a].size(); ++i) {
        double dp = grads[a][i];
        if (weightDecay != 0)
          dp = dp + weightDecay * params[a][i];
        if (momentum != 0) {
          double &buf = buffers[a][i];
          buf = first ? dp : buf * momentum + dp * (1 - dampening);
          dp = nesterov ? dp + momentum * buf : buf;
        }
        params[a][i] += -lr * dp;
      }
  }
};

// torch.optim.Adam._single_tensor_adam in double.
struct ReferenceAdam {
  double lr, beta1, beta2, eps, weightDecay;
  ArraysD expAvg, expAvgSq;
  int step_t = 0;

  void step(ArraysD &params, const ArraysD &grads) {
    if (expAvg.empty()) {
      expAvg = grads;
      expAvgSq = grads;
      for (auto *state : {&expAvg, &expAvgSq})
        for (auto &array : *state)
          array.assign(array.size(), 0.0);
    }
    ++step_t;
    double biasCorrection1 = 1 - std::pow(beta1, step_t);
    double biasCorrection2 = 1 - std::pow(beta2, step_t);
    double stepSize = lr / biasCorrection1;
    for (size_t a = 0; a < params.size(); ++a)
      for (size_t i = 0; i < params[a].size(); ++i) {
        double grad = grads[a][i] + weightDecay * params[a][i];
        expAvg[a][i] = expAvg[a][i] * beta1 + grad * (1 - beta1);
        expAvgSq[a][i] = expAvgSq[a][i] * beta2 + grad * grad * (1 - beta2);
        double denom =
            std::sqrt(expAvgSq[a][i]) / std::sqrt(biasCorrection2) + eps;
        params[a][i] -= stepSize * expAvg[a][i] / denom;
      }
  }
};

std::vector<int64_t> countsOf(const Arrays &arrays) {
  std::vector<int64_t> counts;
  for (const auto &array : arrays)
    counts.push_back(int64_t(array.size()));
  return counts;
}

// Runs `steps` steps of `optimizer` and of `reference` from the same start
// (the learning rate changed to `laterRate` half-way when it is >= 0) and
// compares the parameters after every step.
template <typename Reference>
void expectSameTrajectory(resc_optimizer *optimizer, Reference reference,
                          int steps, double laterRate, double tolerance) {
  Arrays params = initialParams();
  ArraysD expected;
  for (const auto &array : params)
    expected.emplace_back(array.begin(), array.end());
  for (int step = 0; step < steps; ++step) {
    if (laterRate >= 0 && step == steps / 2) {
      ASSERT_EQ(resc_optimizer_set_learning_rate(optimizer, laterRate),
                RESC_OK);
      reference.lr = laterRate;
    }
    Arrays grads = params;
    ArraysD expectedGrads = expected;
    for (size_t a = 0; a < params.size(); ++a)
      for (size_t i = 0; i < params[a].size(); ++i) {
        grads[a][i] = float(toyGradient(params[a][i], i));
        expectedGrads[a][i] = toyGradient(expected[a][i], i);
      }
    std::vector<float *> paramPtrs;
    std::vector<const float *> gradPtrs;
    for (size_t a = 0; a < params.size(); ++a) {
      paramPtrs.push_back(params[a].data());
      gradPtrs.push_back(grads[a].data());
    }
    ASSERT_EQ(resc_optimizer_step(optimizer, paramPtrs.data(), gradPtrs.data()),
              RESC_OK)
        << resc_optimizer_error_message(optimizer);
    reference.step(expected, expectedGrads);
    for (size_t a = 0; a < params.size(); ++a)
      for (size_t i = 0; i < params[a].size(); ++i)
        ASSERT_NEAR(params[a][i], expected[a][i],
                    tolerance * std::max(1.0, std::fabs(expected[a][i])))
            << "step " << step + 1 << ", array " << a << ", element " << i;
  }
  int64_t taken = -1;
  ASSERT_EQ(resc_optimizer_num_steps(optimizer, &taken), RESC_OK);
  EXPECT_EQ(taken, steps);
}

struct SgdVariant {
  const char *name;
  resc_sgd_options options;
};

TEST(TrainOptimizer, SgdMatchesPyTorchFormulas) {
  const SgdVariant variants[] = {
      {"plain", {0.1, 0, 0, 0, 0}},
      {"momentum", {0.05, 0.9, 0, 0, 0}},
      {"dampening", {0.05, 0.9, 0.3, 0, 0}},
      {"nesterov", {0.05, 0.9, 0, 0, 1}},
      {"weight decay", {0.1, 0, 0, 0.01, 0}},
      {"momentum and weight decay", {0.05, 0.8, 0.1, 5e-4, 0}},
      {"nesterov and weight decay", {0.02, 0.95, 0, 1e-2, 1}},
  };
  for (const SgdVariant &v : variants) {
    SCOPED_TRACE(v.name);
    Arrays params = initialParams();
    std::vector<int64_t> counts = countsOf(params);
    resc_optimizer *optimizer = nullptr;
    ASSERT_EQ(resc_optimizer_create_sgd(&v.options, counts.size(),
                                        counts.data(), &optimizer),
              RESC_OK)
        << resc_train_error_message();
    const resc_sgd_options &o = v.options;
    expectSameTrajectory(optimizer,
                         ReferenceSgd{o.learning_rate,
                                      o.momentum,
                                      o.dampening,
                                      o.weight_decay,
                                      o.nesterov != 0,
                                      {}},
                         8, o.learning_rate / 4, 2e-6);
    resc_optimizer_destroy(optimizer);
  }
}

TEST(TrainOptimizer, SgdFirstMomentumStepIsTheGradient) {
  // By hand: buffer 0.5 after step 1 (not 0.5 * (1 - dampening)), then
  // 0.9 * 0.5 + 0.5 * 0.5 = 0.7.
  resc_sgd_options options{0.1, 0.9, 0.5, 0, 0};
  int64_t count = 1;
  resc_optimizer *optimizer = nullptr;
  ASSERT_EQ(resc_optimizer_create_sgd(&options, 1, &count, &optimizer),
            RESC_OK);
  float param = 1.0f;
  const float grad = 0.5f;
  float *params[] = {&param};
  const float *grads[] = {&grad};
  ASSERT_EQ(resc_optimizer_step(optimizer, params, grads), RESC_OK);
  EXPECT_FLOAT_EQ(param, 0.95f);
  ASSERT_EQ(resc_optimizer_step(optimizer, params, grads), RESC_OK);
  EXPECT_FLOAT_EQ(param, 0.88f);
  resc_optimizer_destroy(optimizer);
}

TEST(TrainOptimizer, AdamMatchesPyTorchFormulas) {
  resc_adam_options defaults = resc_adam_default_options();
  EXPECT_EQ(defaults.learning_rate, 1e-3);
  EXPECT_EQ(defaults.beta1, 0.9);
  EXPECT_EQ(defaults.beta2, 0.999);
  EXPECT_EQ(defaults.epsilon, 1e-8);
  EXPECT_EQ(defaults.weight_decay, 0.0);
  struct Variant {
    const char *name;
    resc_adam_options options;
  };
  const Variant variants[] = {
      {"defaults", defaults},
      {"large steps", {0.1, 0.9, 0.999, 1e-8, 0}},
      {"weight decay", {0.05, 0.9, 0.99, 1e-6, 0.1}},
      {"no first moment", {0.05, 0.0, 0.9, 1e-3, 0}},
  };
  for (const Variant &v : variants) {
    SCOPED_TRACE(v.name);
    Arrays params = initialParams();
    std::vector<int64_t> counts = countsOf(params);
    resc_optimizer *optimizer = nullptr;
    ASSERT_EQ(resc_optimizer_create_adam(&v.options, counts.size(),
                                         counts.data(), &optimizer),
              RESC_OK)
        << resc_train_error_message();
    const resc_adam_options &o = v.options;
    expectSameTrajectory(optimizer,
                         ReferenceAdam{o.learning_rate,
                                       o.beta1,
                                       o.beta2,
                                       o.epsilon,
                                       o.weight_decay,
                                       {},
                                       {},
                                       0},
                         10, o.learning_rate / 2, 2e-6);
    resc_optimizer_destroy(optimizer);
  }
}

TEST(TrainOptimizer, AdamFirstStepMovesByTheLearningRate) {
  // After one step m / sqrt(v) is the gradient's sign (bias-corrected), so
  // each parameter moves by the learning rate against its gradient.
  resc_adam_options options = resc_adam_default_options();
  options.learning_rate = 0.01;
  int64_t count = 3;
  resc_optimizer *optimizer = nullptr;
  ASSERT_EQ(resc_optimizer_create_adam(&options, 1, &count, &optimizer),
            RESC_OK);
  float params[] = {1.0f, -2.0f, 0.5f};
  const float grads[] = {3.0f, -0.25f, 1e-3f};
  float *paramPtrs[] = {params};
  const float *gradPtrs[] = {grads};
  ASSERT_EQ(resc_optimizer_step(optimizer, paramPtrs, gradPtrs), RESC_OK);
  EXPECT_NEAR(params[0], 0.99f, 1e-6);
  EXPECT_NEAR(params[1], -1.99f, 1e-6);
  EXPECT_NEAR(params[2], 0.49f, 1e-6);
  double rate = 0;
  ASSERT_EQ(resc_optimizer_learning_rate(optimizer, &rate), RESC_OK);
  EXPECT_EQ(rate, 0.01);
  resc_optimizer_destroy(optimizer);
}

TEST(TrainOptimizer, UsableFromC) {
  EXPECT_EQ(resc_test_train_header_from_c(), 0) << resc_train_error_message();
}

//===----------------------------------------------------------------------===//
// Bad arguments
//===----------------------------------------------------------------------===//

struct BadCall {
  const char *what;
  std::function<resc_status()> call;
  resc_status code;
  std::string message;
};

void expectFails(const BadCall &bad, std::function<std::string()> message) {
  SCOPED_TRACE(bad.what);
  EXPECT_EQ(bad.call(), bad.code);
  EXPECT_NE(message().find(bad.message), std::string::npos)
      << "message: " << message() << "\nexpected to contain: " << bad.message;
}

TEST(TrainErrors, LossArguments) {
  float logits[6] = {0, 1, 2, 3, 4, 5}, grad[6] = {7, 7, 7, 7, 7, 7}, loss = 42;
  int32_t labels[2] = {0, 2}, outOfRange[2] = {1, 3}, negative[2] = {-1, 0};
  const std::vector<BadCall> bad = {
      {"logits",
       [&] {
         return resc_softmax_cross_entropy(nullptr, labels, 2, 3, &loss, grad);
       },
       RESC_ERROR_NULL_POINTER, "resc_softmax_cross_entropy: logits is NULL"},
      {"labels",
       [&] {
         return resc_softmax_cross_entropy(logits, nullptr, 2, 3, &loss, grad);
       },
       RESC_ERROR_NULL_POINTER, "labels is NULL"},
      {"loss",
       [&] {
         return resc_softmax_cross_entropy(logits, labels, 2, 3, nullptr, grad);
       },
       RESC_ERROR_NULL_POINTER, "loss is NULL"},
      {"batch",
       [&] {
         return resc_softmax_cross_entropy(logits, labels, 0, 3, &loss, grad);
       },
       RESC_ERROR_INVALID_ARGUMENT, "batch is 0; it must be at least 1"},
      {"classes",
       [&] {
         return resc_softmax_cross_entropy(logits, labels, 2, -4, &loss, grad);
       },
       RESC_ERROR_INVALID_ARGUMENT, "classes is -4"},
      {"overflow",
       [&] {
         return resc_softmax_cross_entropy(logits, labels, int64_t(1) << 40,
                                           int64_t(1) << 40, &loss, grad);
       },
       RESC_ERROR_INVALID_ARGUMENT, "overflows int64"},
      {"label too large",
       [&] {
         return resc_softmax_cross_entropy(logits, outOfRange, 2, 3, &loss,
                                           grad);
       },
       RESC_ERROR_INVALID_ARGUMENT, "labels[1] is 3, outside [0, 3)"},
      {"label negative",
       [&] {
         return resc_softmax_cross_entropy(logits, negative, 2, 3, &loss, grad);
       },
       RESC_ERROR_INVALID_ARGUMENT, "labels[0] is -1, outside [0, 3)"},
      {"mse pred",
       [&] { return resc_mse_loss(nullptr, logits, 6, &loss, grad); },
       RESC_ERROR_NULL_POINTER, "resc_mse_loss: pred is NULL"},
      {"mse target",
       [&] { return resc_mse_loss(logits, nullptr, 6, &loss, grad); },
       RESC_ERROR_NULL_POINTER, "resc_mse_loss: target is NULL"},
      {"mse loss",
       [&] { return resc_mse_loss(logits, logits, 6, nullptr, grad); },
       RESC_ERROR_NULL_POINTER, "resc_mse_loss: loss is NULL"},
      {"mse count",
       [&] { return resc_mse_loss(logits, logits, 0, &loss, grad); },
       RESC_ERROR_INVALID_ARGUMENT, "resc_mse_loss: count is 0"},
  };
  for (const BadCall &call : bad)
    expectFails(call, [] { return std::string(resc_train_error_message()); });
  // Nothing was written by any failed call.
  EXPECT_EQ(loss, 42);
  for (float g : grad)
    EXPECT_EQ(g, 7);
}

TEST(TrainErrors, CreateArguments) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  int64_t counts[2] = {3, 4}, badCounts[2] = {3, 0};
  resc_sgd_options sgd{0.1, 0.9, 0, 0, 0};
  resc_adam_options adam = resc_adam_default_options();
  resc_optimizer *out = reinterpret_cast<resc_optimizer *>(&counts);
  auto withSgd = [&](auto change) {
    resc_sgd_options o = sgd;
    change(o);
    return [&, o] { return resc_optimizer_create_sgd(&o, 2, counts, &out); };
  };
  auto withAdam = [&](auto change) {
    resc_adam_options o = adam;
    change(o);
    return [&, o] { return resc_optimizer_create_adam(&o, 2, counts, &out); };
  };
  const std::vector<BadCall> bad = {
      {"sgd options",
       [&] { return resc_optimizer_create_sgd(nullptr, 2, counts, &out); },
       RESC_ERROR_NULL_POINTER, "resc_optimizer_create_sgd: options is NULL"},
      {"sgd out",
       [&] { return resc_optimizer_create_sgd(&sgd, 2, counts, nullptr); },
       RESC_ERROR_NULL_POINTER, "resc_optimizer_create_sgd: out is NULL"},
      {"sgd counts",
       [&] { return resc_optimizer_create_sgd(&sgd, 2, nullptr, &out); },
       RESC_ERROR_NULL_POINTER, "counts is NULL"},
      {"sgd num_params",
       [&] { return resc_optimizer_create_sgd(&sgd, 0, counts, &out); },
       RESC_ERROR_INVALID_ARGUMENT, "num_params is 0"},
      {"sgd counts[1]",
       [&] { return resc_optimizer_create_sgd(&sgd, 2, badCounts, &out); },
       RESC_ERROR_INVALID_ARGUMENT, "counts[1] is 0; it must be at least 1"},
      {"sgd NaN rate", withSgd([&](auto &o) { o.learning_rate = nan; }),
       RESC_ERROR_INVALID_ARGUMENT,
       "options->learning_rate is nan; it must be a finite number >= 0"},
      {"sgd negative rate", withSgd([](auto &o) { o.learning_rate = -0.5; }),
       RESC_ERROR_INVALID_ARGUMENT, "options->learning_rate is -0.5"},
      {"sgd momentum", withSgd([&](auto &o) { o.momentum = -inf; }),
       RESC_ERROR_INVALID_ARGUMENT, "options->momentum is -inf"},
      {"sgd dampening", withSgd([&](auto &o) { o.dampening = nan; }),
       RESC_ERROR_INVALID_ARGUMENT, "options->dampening is nan"},
      {"sgd weight decay", withSgd([](auto &o) { o.weight_decay = -1e-4; }),
       RESC_ERROR_INVALID_ARGUMENT, "options->weight_decay is -0.0001"},
      {"sgd nesterov flag", withSgd([](auto &o) { o.nesterov = 2; }),
       RESC_ERROR_INVALID_ARGUMENT, "options->nesterov is 2"},
      {"sgd nesterov without momentum", withSgd([](auto &o) {
         o.nesterov = 1;
         o.momentum = 0;
       }),
       RESC_ERROR_INVALID_ARGUMENT,
       "Nesterov momentum needs momentum > 0 and dampening 0"},
      {"sgd nesterov with dampening", withSgd([](auto &o) {
         o.nesterov = 1;
         o.dampening = 0.1;
       }),
       RESC_ERROR_INVALID_ARGUMENT, "dampening is 0.1"},
      {"adam options",
       [&] { return resc_optimizer_create_adam(nullptr, 2, counts, &out); },
       RESC_ERROR_NULL_POINTER, "resc_optimizer_create_adam: options is NULL"},
      {"adam counts[1]",
       [&] { return resc_optimizer_create_adam(&adam, 2, badCounts, &out); },
       RESC_ERROR_INVALID_ARGUMENT, "counts[1] is 0"},
      {"adam rate", withAdam([&](auto &o) { o.learning_rate = inf; }),
       RESC_ERROR_INVALID_ARGUMENT, "options->learning_rate is inf"},
      {"adam beta1", withAdam([](auto &o) { o.beta1 = 1.0; }),
       RESC_ERROR_INVALID_ARGUMENT,
       "options->beta1 is 1; it must be in [0, 1)"},
      {"adam beta2", withAdam([&](auto &o) { o.beta2 = nan; }),
       RESC_ERROR_INVALID_ARGUMENT, "options->beta2 is nan"},
      {"adam epsilon", withAdam([](auto &o) { o.epsilon = -1e-8; }),
       RESC_ERROR_INVALID_ARGUMENT, "options->epsilon is -1e-08"},
      {"adam weight decay", withAdam([&](auto &o) { o.weight_decay = nan; }),
       RESC_ERROR_INVALID_ARGUMENT, "options->weight_decay is nan"},
  };
  for (const BadCall &call : bad) {
    expectFails(call, [] { return std::string(resc_train_error_message()); });
    // Every failed create clears *out (except when out itself is NULL).
    if (std::string(call.what) != "sgd out")
      EXPECT_EQ(out, nullptr) << call.what;
    out = reinterpret_cast<resc_optimizer *>(&counts);
  }
  // The same message through the optimiser's accessor with NULL.
  EXPECT_STREQ(resc_optimizer_error_message(nullptr),
               resc_train_error_message());

  // A state larger than memory is an error, not an abort.
  int64_t huge = int64_t(1) << 62;
  EXPECT_EQ(resc_optimizer_create_adam(&adam, 1, &huge, &out),
            RESC_ERROR_OUT_OF_MEMORY);
  EXPECT_EQ(out, nullptr);
  EXPECT_NE(std::string(resc_train_error_message()).find("cannot allocate"),
            std::string::npos);
}

TEST(TrainErrors, StepArguments) {
  int64_t counts[2] = {2, 1};
  resc_sgd_options sgd{0.1, 0.5, 0, 0, 0};
  resc_optimizer *optimizer = nullptr;
  ASSERT_EQ(resc_optimizer_create_sgd(&sgd, 2, counts, &optimizer), RESC_OK);
  float a[2] = {1, 2}, b[1] = {3}, ga[2] = {1, 1}, gb[1] = {1};
  float *params[2] = {a, b}, *params1Null[2] = {a, nullptr};
  const float *grads[2] = {ga, gb}, *grads0Null[2] = {nullptr, gb};
  const std::vector<BadCall> bad = {
      {"params", [&] { return resc_optimizer_step(optimizer, nullptr, grads); },
       RESC_ERROR_NULL_POINTER, "resc_optimizer_step: params is NULL"},
      {"grads", [&] { return resc_optimizer_step(optimizer, params, nullptr); },
       RESC_ERROR_NULL_POINTER, "resc_optimizer_step: grads is NULL"},
      {"params[1]",
       [&] { return resc_optimizer_step(optimizer, params1Null, grads); },
       RESC_ERROR_NULL_POINTER, "params[1] is NULL"},
      {"grads[0]",
       [&] { return resc_optimizer_step(optimizer, params, grads0Null); },
       RESC_ERROR_NULL_POINTER, "grads[0] is NULL"},
      {"NaN rate",
       [&] {
         return resc_optimizer_set_learning_rate(
             optimizer, std::numeric_limits<double>::quiet_NaN());
       },
       RESC_ERROR_INVALID_ARGUMENT,
       "resc_optimizer_set_learning_rate: learning_rate is nan"},
      {"negative rate",
       [&] { return resc_optimizer_set_learning_rate(optimizer, -1); },
       RESC_ERROR_INVALID_ARGUMENT, "learning_rate is -1"},
      {"rate out",
       [&] { return resc_optimizer_learning_rate(optimizer, nullptr); },
       RESC_ERROR_NULL_POINTER, "learning_rate is NULL"},
      {"steps out",
       [&] { return resc_optimizer_num_steps(optimizer, nullptr); },
       RESC_ERROR_NULL_POINTER, "steps is NULL"},
  };
  for (const BadCall &call : bad)
    expectFails(call, [&] {
      return std::string(resc_optimizer_error_message(optimizer));
    });
  // A failed step moves nothing and does not count: the next good step is
  // the first (buffer = gradient), and the rate is still 0.1.
  EXPECT_EQ(a[0], 1.0f);
  EXPECT_EQ(b[0], 3.0f);
  int64_t steps = -1;
  ASSERT_EQ(resc_optimizer_num_steps(optimizer, &steps), RESC_OK);
  EXPECT_EQ(steps, 0);
  ASSERT_EQ(resc_optimizer_step(optimizer, params, grads), RESC_OK);
  EXPECT_FLOAT_EQ(a[0], 0.9f);
  EXPECT_FLOAT_EQ(b[0], 2.9f);
  resc_optimizer_destroy(optimizer);

  // Calls on a NULL optimiser keep their message per thread.
  const std::vector<BadCall> noOptimizer = {
      {"step", [&] { return resc_optimizer_step(nullptr, params, grads); },
       RESC_ERROR_NULL_POINTER, "resc_optimizer_step: optimizer is NULL"},
      {"set rate",
       [&] { return resc_optimizer_set_learning_rate(nullptr, 0.1); },
       RESC_ERROR_NULL_POINTER,
       "resc_optimizer_set_learning_rate: optimizer is NULL"},
      {"rate",
       [&] {
         double rate;
         return resc_optimizer_learning_rate(nullptr, &rate);
       },
       RESC_ERROR_NULL_POINTER,
       "resc_optimizer_learning_rate: optimizer is "
       "NULL"},
      {"steps", [&] { return resc_optimizer_num_steps(nullptr, &steps); },
       RESC_ERROR_NULL_POINTER, "resc_optimizer_num_steps: optimizer is NULL"},
  };
  for (const BadCall &call : noOptimizer)
    expectFails(call, [] { return std::string(resc_train_error_message()); });
  EXPECT_EQ(resc_optimizer_destroy(nullptr), RESC_OK);
}

} // namespace
