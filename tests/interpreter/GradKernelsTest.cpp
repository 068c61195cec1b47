// The vector-Jacobian product of every forward op kind of Kernels.h, as the
// gradient kernels compute it, against central finite differences in double
// of L = sum(f(inputs) * dy) for a random dy, for every input and parameter.
// Shapes are small, seeds fixed; the tolerance is kGradTolerance
// (GradCheckUtil.h) unless a test says otherwise.
#include "DoubleForwards.h"

#include "compiler/interpreter/GradKernels.h"

using namespace res::gradcheck;
using res::Activation;
using resc::Tensor;
namespace k = res::kernels;

namespace {

/// Prints the largest relative error per gradient kernel once the tests
/// have run.
class WorstErrorReport : public ::testing::Environment {
public:
  void TearDown() override {
    if (worstErrors().empty())
      return;
    std::printf("largest relative error per gradient kernel:\n");
    for (const auto &[kernel, err] : worstErrors())
      std::printf("  %-36s %.3g\n", kernel.c_str(), err);
  }
};

[[maybe_unused]] const auto *const report =
    ::testing::AddGlobalTestEnvironment(new WorstErrorReport);

/// The result shape as a result type gives it: a dynamic batch.
Shape dynamicBatch(Shape shape) {
  shape[0] = res::kDynamicDim;
  return shape;
}

void checkConv(const Shape &xShape, const Shape &wShape,
               const k::Conv2DAttrs &a, const std::string &tag) {
  Tensor x = randomTensor(xShape, tag + ".x");
  Tensor w = randomTensor(wShape, tag + ".w");
  Tensor b = randomTensor({wShape[0]}, tag + ".b");
  std::string error;
  Tensor y, dx, dw, db;
  ASSERT_TRUE(k::conv2d(x, w, &b, a, y, error)) << error;
  DTensor bd = toDouble(b);
  expectSameForward(y, ref::conv2d(toDouble(x), toDouble(w), &bd, a));

  Tensor dy = randomTensor(y.shape, tag + ".dy");
  ASSERT_TRUE(k::conv2dGradInput(dy, w, a, dynamicBatch(xShape), dx, error))
      << error;
  ASSERT_TRUE(k::conv2dGradWeight(x, dy, a, wShape, dw, error)) << error;
  ASSERT_TRUE(k::channelSum(dy, db, error)) << error;
  GradCase c{[a](const std::vector<DTensor> &in) {
               return ref::conv2d(in[0], in[1], &in[2], a);
             },
             {x, w, b},
             {"x", "weight", "bias"}};
  c.check(dy, {dx, dw, db},
          {"conv2dGradInput", "conv2dGradWeight", "channelSum"});
}

k::Conv2DAttrs convAttrs(k::Pair stride, k::Pair padding,
                         k::Pair dilation = {1, 1}, int64_t groups = 1) {
  k::Conv2DAttrs a;
  a.stride = stride;
  a.padding = padding;
  a.dilation = dilation;
  a.groups = groups;
  return a;
}

TEST(GradKernelsTest, Conv2dStrideOne) {
  checkConv({2, 3, 5, 5}, {4, 3, 3, 3}, convAttrs({1, 1}, {0, 0}), "conv1");
}

TEST(GradKernelsTest, Conv2dStrideTwoPadded) {
  checkConv({2, 3, 6, 6}, {4, 3, 3, 3}, convAttrs({2, 2}, {1, 1}), "conv2");
}

TEST(GradKernelsTest, Conv2dStrideLeavesInputsUnused) {
  // (6 - 3) / 2 + 1 = 2 rows read rows 0..4 only; (5 - 2) / 3 + 1 = 2
  // columns skip column 2: those inputs get no gradient.
  checkConv({1, 2, 6, 5}, {3, 2, 3, 2}, convAttrs({2, 3}, {0, 0}), "conv3");
}

TEST(GradKernelsTest, Conv2dDilationAndAsymmetricPadding) {
  checkConv({2, 2, 7, 6}, {3, 2, 3, 3}, convAttrs({1, 2}, {2, 1}, {2, 1}),
            "conv4");
}

TEST(GradKernelsTest, Conv2dGroups) {
  checkConv({2, 4, 5, 5}, {6, 2, 3, 3}, convAttrs({1, 1}, {1, 1}, {1, 1}, 2),
            "conv5");
}

TEST(GradKernelsTest, Conv2dDepthwise) {
  checkConv({2, 4, 6, 6}, {4, 1, 3, 3}, convAttrs({2, 2}, {1, 1}, {1, 1}, 4),
            "conv6");
}

TEST(GradKernelsTest, Conv2dDepthwiseWithMultiplier) {
  checkConv({1, 3, 5, 5}, {6, 1, 3, 3}, convAttrs({1, 1}, {1, 1}, {1, 1}, 3),
            "conv7");
}

TEST(GradKernelsTest, Conv2dProjection1x1StrideTwo) {
  checkConv({2, 4, 6, 6}, {8, 4, 1, 1}, convAttrs({2, 2}, {0, 0}), "conv8");
}

/// Training-mode batch norm as the gradient pass emits it: channel_mean and
/// the biased channel_var give the statistics an ordinary batch_norm uses.
void checkBatchNormTraining(const Shape &xShape, const std::string &tag) {
  const int64_t c = xShape[1];
  const double eps = 1e-5;
  // Off-centre inputs, so that the mean matters.
  Tensor x = randomTensor(xShape, tag + ".x", -1.0, 3.0);
  Tensor gamma = randomTensor({c}, tag + ".gamma", 0.5, 1.5);
  Tensor beta = randomTensor({c}, tag + ".beta");
  std::string error;
  Tensor mean, var, y, dx, dgamma, dbeta;
  ASSERT_TRUE(k::channelMean(x, mean, error)) << error;
  ASSERT_TRUE(k::channelVar(x, mean, /*unbiased=*/false, var, error)) << error;
  ASSERT_TRUE(k::batchNorm(x, gamma, beta, mean, var, eps, y, error)) << error;
  expectSameForward(y, ref::batchNormTrain(toDouble(x), toDouble(gamma),
                                           toDouble(beta), eps));

  Tensor dy = randomTensor(y.shape, tag + ".dy");
  ASSERT_TRUE(k::batchNormGrad(dy, x, gamma, mean, var, eps, dx, error))
      << error;
  ASSERT_TRUE(k::batchNormGradGamma(dy, x, mean, var, eps, dgamma, error))
      << error;
  ASSERT_TRUE(k::channelSum(dy, dbeta, error)) << error;
  GradCase bn{[eps](const std::vector<DTensor> &in) {
                return ref::batchNormTrain(in[0], in[1], in[2], eps);
              },
              {x, gamma, beta},
              {"x", "gamma", "beta"}};
  bn.check(dy, {dx, dgamma, dbeta},
           {"batchNormGrad", "batchNormGradGamma", "channelSum"});
}

TEST(GradKernelsTest, BatchNormTrainingRank4) {
  checkBatchNormTraining({3, 4, 3, 3}, "bn4");
}

TEST(GradKernelsTest, BatchNormTrainingRank2) {
  checkBatchNormTraining({6, 5}, "bn2");
}

TEST(GradKernelsTest, ChannelStatistics) {
  // Channel 0 holds 1, 3 and channel 1 holds 10, 20: means 2 and 15, biased
  // variances 1 and 25, unbiased 2 and 50.
  Tensor x({2, 2});
  x.data = {1, 10, 3, 20};
  std::string error;
  Tensor mean, biased, unbiased;
  ASSERT_TRUE(k::channelMean(x, mean, error)) << error;
  ASSERT_TRUE(k::channelVar(x, mean, false, biased, error)) << error;
  ASSERT_TRUE(k::channelVar(x, mean, true, unbiased, error)) << error;
  EXPECT_EQ(mean.shape, Shape{2});
  EXPECT_EQ(mean.data, (std::vector<float>{2, 15}));
  EXPECT_EQ(biased.data, (std::vector<float>{1, 25}));
  EXPECT_EQ(unbiased.data, (std::vector<float>{2, 50}));
}

TEST(GradKernelsTest, ChannelStatisticsOverBatchAndPixels) {
  // [2, 2, 1, 2]: channel 0 holds 0, 2 (sample 0) and 4, 6 (sample 1), mean
  // 3, squared deviations 9 + 1 + 1 + 9 = 20; channel 1 holds 1 four times.
  Tensor x({2, 2, 1, 2});
  x.data = {0, 2, 1, 1, 4, 6, 1, 1};
  std::string error;
  Tensor mean, biased, unbiased, sum;
  ASSERT_TRUE(k::channelMean(x, mean, error)) << error;
  ASSERT_TRUE(k::channelVar(x, mean, false, biased, error)) << error;
  ASSERT_TRUE(k::channelVar(x, mean, true, unbiased, error)) << error;
  ASSERT_TRUE(k::channelSum(x, sum, error)) << error;
  EXPECT_EQ(mean.data, (std::vector<float>{3, 1}));
  EXPECT_EQ(biased.data, (std::vector<float>{5, 0}));
  EXPECT_FLOAT_EQ(unbiased.data[0], 20.0f / 3);
  EXPECT_EQ(sum.data, (std::vector<float>{12, 4}));
}

TEST(GradKernelsTest, LerpUpdatesRunningStatistics) {
  Tensor running({2}), batch({2}), out;
  running.data = {1, 2};
  batch.data = {3, 6};
  std::string error;
  ASSERT_TRUE(k::lerp(running, batch, 0.1, out, error)) << error;
  EXPECT_FLOAT_EQ(out.data[0], 0.9f * 1 + 0.1f * 3);
  EXPECT_FLOAT_EQ(out.data[1], 0.9f * 2 + 0.1f * 6);
}

void checkActivation(Activation kind) {
  const std::string name = res::stringifyActivation(kind).str();
  // Away from the kinks (relu's 0; -3, 0, 3 and 6 of relu6, hardsigmoid
  // and hardswish), which the finite differences must not cross; wide
  // enough to reach every piece.
  Tensor x = awayFromZero(randomTensor({3, 4, 5}, name + ".x", -4.5, 7.5));
  for (float &v : x.data)
    for (float kink : {-3.0f, 3.0f, 6.0f})
      if (std::abs(v - kink) < 0.05f)
        v = kink + (v < kink ? -0.05f : 0.05f);
  std::string error;
  Tensor y, dx;
  ASSERT_TRUE(k::activation(x, kind, y, error)) << error;
  expectSameForward(y, ref::activation(kind, toDouble(x)));
  Tensor dy = randomTensor(y.shape, name + ".dy");
  ASSERT_TRUE(k::activationGrad(kind, dy, x, dx, error)) << error;
  GradCase c{[kind](const std::vector<DTensor> &in) {
               return ref::activation(kind, in[0]);
             },
             {x},
             {"x"}};
  c.check(dy, {dx}, {"activationGrad " + name});
}

TEST(GradKernelsTest, ActivationIdentity) {
  checkActivation(Activation::identity);
}
TEST(GradKernelsTest, ActivationRelu) { checkActivation(Activation::relu); }
TEST(GradKernelsTest, ActivationGelu) { checkActivation(Activation::gelu); }
TEST(GradKernelsTest, ActivationSigmoid) {
  checkActivation(Activation::sigmoid);
}
TEST(GradKernelsTest, ActivationTanh) { checkActivation(Activation::tanh); }
TEST(GradKernelsTest, ActivationRelu6) { checkActivation(Activation::relu6); }
TEST(GradKernelsTest, ActivationHardsigmoid) {
  checkActivation(Activation::hardsigmoid);
}
TEST(GradKernelsTest, ActivationHardswish) {
  checkActivation(Activation::hardswish);
}
TEST(GradKernelsTest, ActivationSilu) { checkActivation(Activation::silu); }

// A gate's multiply: dx = dy * g (channelMul again), dg = sum over H and W
// of dy * x, for gates of [N, C] and [N, C, 1, 1].
TEST(GradKernelsTest, ChannelMul) {
  for (bool keep : {false, true}) {
    Tensor x = randomTensor({2, 3, 4, 5}, "gate.x");
    Tensor g = randomTensor(keep ? std::vector<int64_t>{2, 3, 1, 1}
                                 : std::vector<int64_t>{2, 3},
                            "gate.g");
    std::string error;
    Tensor y, dx, dg;
    ASSERT_TRUE(k::channelMul(x, g, y, error)) << error;
    Tensor dy = randomTensor(y.shape, "gate.dy");
    ASSERT_TRUE(k::channelMul(dy, g, dx, error)) << error;
    ASSERT_TRUE(k::channelMulGradGate(dy, x, g.shape, dg, error)) << error;
    GradCase c{[](const std::vector<DTensor> &in) {
                 DTensor out(in[0].shape);
                 const int64_t hw = in[0].shape[2] * in[0].shape[3];
                 for (int64_t i = 0; i < out.numel(); ++i)
                   out.data[i] = in[0].data[i] * in[1].data[i / hw];
                 return out;
               },
               {x, g},
               {"x", "gate"}};
    c.check(dy, {dx, dg}, {"channelMul", "channelMulGradGate"});
  }
}

/// Layer norm's three gradients (input, weight, and the bias through
/// channel_sum) against central differences of the double forward.
void checkLayerNorm(const Shape &shape, bool affine, const std::string &tag) {
  const int64_t len = shape[1];
  Tensor x = randomTensor(shape, tag + ".x", -2.0, 2.0);
  Tensor w = randomTensor({len}, tag + ".w", 0.5, 1.5);
  Tensor b = randomTensor({len}, tag + ".b");
  const double eps = 1e-5;
  std::string error;
  Tensor y, dx, dw, db;
  ASSERT_TRUE(k::layerNorm(x, affine ? &w : nullptr, affine ? &b : nullptr, eps,
                           y, error))
      << error;
  DTensor dwRef = toDouble(w), dbRef = toDouble(b);
  expectSameForward(y, ref::layerNorm(toDouble(x), affine ? &dwRef : nullptr,
                                      affine ? &dbRef : nullptr, eps));
  Tensor dy = randomTensor(y.shape, tag + ".dy");
  ASSERT_TRUE(k::layerNormGrad(dy, x, affine ? &w : nullptr, eps, dx, error))
      << error;
  if (!affine) {
    GradCase c{[=](const std::vector<DTensor> &in) {
                 return ref::layerNorm(in[0], nullptr, nullptr, eps);
               },
               {x},
               {"x"}};
    c.check(dy, {dx}, {"layerNormGrad"});
    return;
  }
  ASSERT_TRUE(k::layerNormGradWeight(dy, x, eps, dw, error)) << error;
  ASSERT_TRUE(k::channelSum(dy, db, error)) << error;
  GradCase c{[=](const std::vector<DTensor> &in) {
               return ref::layerNorm(in[0], &in[1], &in[2], eps);
             },
             {x, w, b},
             {"x", "weight", "bias"}};
  c.check(dy, {dx, dw, db},
          {"layerNormGrad", "layerNormGradWeight", "channelSum"});
}

TEST(GradKernelsTest, LayerNormOnVectors) {
  checkLayerNorm({3, 7}, true, "ln2");
  checkLayerNorm({3, 7}, false, "ln2plain");
}

TEST(GradKernelsTest, LayerNormOverChannels) {
  checkLayerNorm({2, 5, 3, 2}, true, "ln4");
  checkLayerNorm({2, 5, 3, 2}, false, "ln4plain");
}

TEST(GradKernelsTest, ChannelScale) {
  for (bool image : {true, false}) {
    Shape shape = image ? Shape{2, 3, 4, 5} : Shape{4, 6};
    Shape scaleShape = image ? Shape{3, 1, 1} : Shape{6};
    Tensor x = randomTensor(shape, "cs.x");
    Tensor s = randomTensor(scaleShape, "cs.s");
    std::string error;
    Tensor y, dx, ds;
    ASSERT_TRUE(k::channelScale(x, s, y, error)) << error;
    expectSameForward(y, ref::channelScale(toDouble(x), toDouble(s)));
    Tensor dy = randomTensor(y.shape, "cs.dy");
    // The input's gradient is channel_scale of dy by the same scale.
    ASSERT_TRUE(k::channelScale(dy, s, dx, error)) << error;
    ASSERT_TRUE(k::channelScaleGradScale(dy, x, s.shape, ds, error)) << error;
    EXPECT_EQ(ds.shape, s.shape);
    GradCase c{[](const std::vector<DTensor> &in) {
                 return ref::channelScale(in[0], in[1]);
               },
               {x, s},
               {"x", "scale"}};
    c.check(dy, {dx, ds}, {"channelScale", "channelScaleGradScale"});
  }
}

TEST(GradKernelsTest, MobileActivationsAtTheirKinks) {
  // PyTorch's backward at the kinks: relu6' 0 at 0 and 6, hardsigmoid' 0
  // at -3 and 3, hardswish' -1/2 at -3 and 3/2 at 3.
  Tensor x({4}), dy({4}, 1.0f), dx;
  x.data = {-3, 0, 3, 6};
  std::string error;
  ASSERT_TRUE(k::activationGrad(Activation::relu6, dy, x, dx, error)) << error;
  EXPECT_EQ(dx.data, (std::vector<float>{0, 0, 1, 0}));
  ASSERT_TRUE(k::activationGrad(Activation::hardsigmoid, dy, x, dx, error));
  EXPECT_EQ(dx.data, (std::vector<float>{0, 1.0f / 6, 0, 0}));
  ASSERT_TRUE(k::activationGrad(Activation::hardswish, dy, x, dx, error));
  EXPECT_EQ(dx.data, (std::vector<float>{-0.5f, 0.5f, 1.5f, 1}));
}

TEST(GradKernelsTest, ReluIsFlatAtZero) {
  // As PyTorch: relu'(0) = 0.
  Tensor x({3}), dy({3}, 2.0f), dx;
  x.data = {-1, 0, 1};
  std::string error;
  ASSERT_TRUE(k::activationGrad(Activation::relu, dy, x, dx, error)) << error;
  EXPECT_EQ(dx.data, (std::vector<float>{0, 0, 2}));
}

k::Pool2DAttrs poolAttrs(k::Pair kernel, k::Pair stride, k::Pair padding) {
  k::Pool2DAttrs a;
  a.kernel = kernel;
  a.stride = stride;
  a.padding = padding;
  return a;
}

/// Distinct values 2/n apart in [-1, 1) in a random order: no window has a
/// tie, and no finite-difference step can change which element wins.
Tensor distinctValues(const Shape &shape, const std::string &name) {
  Tensor t(shape);
  const int64_t n = t.numel();
  std::vector<int64_t> order(n);
  for (int64_t i = 0; i < n; ++i)
    order[i] = i;
  resc::Random random(/*seed=*/5, name);
  for (int64_t i = n - 1; i > 0; --i)
    std::swap(order[i], order[random.next() % uint64_t(i + 1)]);
  for (int64_t i = 0; i < n; ++i)
    t.data[i] = static_cast<float>(-1.0 + 2.0 * double(order[i]) / double(n));
  return t;
}

void checkMaxPool(const Shape &xShape, const k::Pool2DAttrs &a,
                  const std::string &tag) {
  Tensor x = distinctValues(xShape, tag + ".x");
  std::string error;
  Tensor y, dx;
  ASSERT_TRUE(k::maxPool2d(x, a, y, error)) << error;
  expectSameForward(y, ref::maxPool2d(toDouble(x), a));
  Tensor dy = randomTensor(y.shape, tag + ".dy");
  ASSERT_TRUE(k::maxPool2dGrad(dy, x, a, dx, error)) << error;
  GradCase c{
      [a](const std::vector<DTensor> &in) { return ref::maxPool2d(in[0], a); },
      {x},
      {"x"}};
  c.check(dy, {dx}, {"maxPool2dGrad"});
}

TEST(GradKernelsTest, MaxPoolOverlappingPadded) {
  checkMaxPool({2, 2, 7, 7}, poolAttrs({3, 3}, {2, 2}, {1, 1}), "max1");
}

TEST(GradKernelsTest, MaxPoolOverlappingStrideOne) {
  checkMaxPool({1, 3, 5, 5}, poolAttrs({2, 2}, {1, 1}, {0, 0}), "max2");
}

TEST(GradKernelsTest, MaxPoolSamePadding) {
  checkMaxPool({2, 2, 5, 5}, poolAttrs({3, 3}, {1, 1}, {1, 1}), "max3");
}

TEST(GradKernelsTest, MaxPoolAsymmetric) {
  checkMaxPool({1, 2, 6, 5}, poolAttrs({3, 2}, {2, 1}, {1, 0}), "max4");
}

TEST(GradKernelsTest, MaxPoolTieGoesToFirstMaximum) {
  // Every 2x2 window of a constant input ties; the first (row-major) element
  // of each window takes its gradient, as the forward picks it.
  Tensor x({1, 1, 3, 3}, 1.0f), dy({1, 1, 2, 2}), dx;
  dy.data = {1, 2, 3, 4};
  std::string error;
  ASSERT_TRUE(
      k::maxPool2dGrad(dy, x, poolAttrs({2, 2}, {1, 1}, {0, 0}), dx, error))
      << error;
  EXPECT_EQ(dx.data, (std::vector<float>{1, 2, 0, 3, 4, 0, 0, 0, 0}));
}

TEST(GradKernelsTest, MaxPoolPaddingNeverWins) {
  // All inputs are negative, so a zero padding would win if it counted;
  // every padded 3x3 window covers the whole 2x2 input, whose maximum is -1.
  Tensor x({1, 1, 2, 2}), dy({1, 1, 2, 2}), dx;
  x.data = {-4, -3, -2, -1};
  dy.data = {1, 2, 3, 4};
  std::string error;
  ASSERT_TRUE(
      k::maxPool2dGrad(dy, x, poolAttrs({3, 3}, {1, 1}, {1, 1}), dx, error))
      << error;
  EXPECT_EQ(dx.data, (std::vector<float>{0, 0, 0, 10}));
}

TEST(GradKernelsTest, MaxPoolFollowsTheForwardOnNanAndInfinity) {
  // The forward's maximum of {1, NaN, 5} is the NaN, and of {-inf, -inf}
  // the first -inf: the gradient goes where the forward took its value.
  const float inf = std::numeric_limits<float>::infinity();
  Tensor x({1, 1, 2, 3}), dy({1, 1, 2, 2}, 2.0f), dx;
  x.data = {1, std::nanf(""), 5, -inf, -inf, -inf};
  std::string error;
  ASSERT_TRUE(
      k::maxPool2dGrad(dy, x, poolAttrs({1, 2}, {1, 1}, {0, 0}), dx, error))
      << error;
  EXPECT_EQ(dx.data, (std::vector<float>{0, 4, 0, 2, 2, 0}));
}

void checkAvgPool(const Shape &xShape, const k::Pool2DAttrs &a,
                  const std::string &tag) {
  Tensor x = randomTensor(xShape, tag + ".x");
  std::string error;
  Tensor y, dx;
  ASSERT_TRUE(k::avgPool2d(x, a, y, error)) << error;
  expectSameForward(y, ref::avgPool2d(toDouble(x), a));
  Tensor dy = randomTensor(y.shape, tag + ".dy");
  ASSERT_TRUE(k::avgPool2dGrad(dy, a, dynamicBatch(xShape), dx, error))
      << error;
  GradCase c{
      [a](const std::vector<DTensor> &in) { return ref::avgPool2d(in[0], a); },
      {x},
      {"x"}};
  c.check(dy, {dx}, {"avgPool2dGrad"});
}

TEST(GradKernelsTest, AvgPoolOverlappingPadded) {
  checkAvgPool({2, 2, 7, 7}, poolAttrs({3, 3}, {2, 2}, {1, 1}), "avg1");
}

TEST(GradKernelsTest, AvgPoolSamePadding) {
  checkAvgPool({1, 2, 5, 5}, poolAttrs({3, 3}, {1, 1}, {1, 1}), "avg2");
}

TEST(GradKernelsTest, AvgPoolDisjointWindows) {
  checkAvgPool({2, 3, 4, 4}, poolAttrs({2, 2}, {2, 2}, {0, 0}), "avg3");
}

TEST(GradKernelsTest, AvgPoolAsymmetric) {
  checkAvgPool({1, 2, 5, 6}, poolAttrs({3, 2}, {1, 2}, {1, 1}), "avg4");
}

TEST(GradKernelsTest, GlobalAvgPool) {
  Tensor x = randomTensor({2, 3, 4, 5}, "gap.x");
  std::string error;
  Tensor y, dx;
  ASSERT_TRUE(k::globalAvgPool(x, y, error)) << error;
  expectSameForward(y, ref::globalAvgPool(toDouble(x)));
  Tensor dy = randomTensor(y.shape, "gap.dy");
  ASSERT_TRUE(k::globalAvgPoolGrad(dy, {-1, 3, 4, 5}, dx, error)) << error;
  GradCase c{
      [](const std::vector<DTensor> &in) { return ref::globalAvgPool(in[0]); },
      {x},
      {"x"}};
  c.check(dy, {dx}, {"globalAvgPoolGrad"});
}

TEST(GradKernelsTest, Flatten) {
  Tensor x = randomTensor({2, 3, 2, 2}, "flatten.x");
  std::string error;
  Tensor y, dx;
  ASSERT_TRUE(k::flatten(x, y, error)) << error;
  expectSameForward(y, ref::flatten(toDouble(x)));
  Tensor dy = randomTensor(y.shape, "flatten.dy");
  ASSERT_TRUE(k::reshape(dy, {-1, 3, 2, 2}, dx, error)) << error;
  GradCase c{[](const std::vector<DTensor> &in) { return ref::flatten(in[0]); },
             {x},
             {"x"}};
  c.check(dy, {dx}, {"reshape"});
}

TEST(GradKernelsTest, ResultShapesTakeTheBatchFromTheOperands) {
  // A result type's dynamic batch arrives as res::kDynamicDim or as MLIR's
  // kDynamic; a static batch must match.
  Tensor dy = randomTensor({2, 12}, "batch.dy");
  std::string error;
  for (int64_t batch :
       {res::kDynamicDim, std::numeric_limits<int64_t>::min(), int64_t(2)}) {
    Tensor dx;
    ASSERT_TRUE(k::reshape(dy, {batch, 3, 2, 2}, dx, error)) << error;
    EXPECT_EQ(dx.shape, (Shape{2, 3, 2, 2}));
    EXPECT_EQ(dx.data, dy.data);
  }
}

void checkDense(const Shape &xShape) {
  Tensor x = randomTensor(xShape, "dense.x");
  Tensor w = randomTensor({4, 5}, "dense.w");
  Tensor b = randomTensor({4}, "dense.b");
  std::string error;
  Tensor y, dx, dw, db;
  ASSERT_TRUE(k::dense(x, w, &b, y, error)) << error;
  DTensor bd = toDouble(b);
  expectSameForward(y, ref::dense(toDouble(x), toDouble(w), &bd));
  Tensor dy = randomTensor(y.shape, "dense.dy");
  ASSERT_TRUE(k::denseGradInput(dy, w, dx, error)) << error;
  ASSERT_TRUE(k::denseGradWeight(x, dy, dw, error)) << error;
  ASSERT_TRUE(k::channelSum(dy, db, error)) << error;
  GradCase c{[](const std::vector<DTensor> &in) {
               return ref::dense(in[0], in[1], &in[2]);
             },
             {x, w, b},
             {"x", "weight", "bias"}};
  c.check(dy, {dx, dw, db},
          {"denseGradInput", "denseGradWeight", "channelSum"});
}

TEST(GradKernelsTest, Dense) { checkDense({3, 5}); }

// Per pixel on [N, C, H, W] (ConvNeXt): over C, summed over the pixels.
TEST(GradKernelsTest, DensePerPixel) { checkDense({2, 5, 3, 2}); }

void checkUpsample(const Shape &xShape, int64_t factor,
                   const std::string &tag) {
  Tensor x = randomTensor(xShape, tag + ".x");
  std::string error;
  Tensor y, dx;
  ASSERT_TRUE(k::upsample(x, factor, y, error)) << error;
  expectSameForward(y, ref::upsample(toDouble(x), factor));
  Tensor dy = randomTensor(y.shape, tag + ".dy");
  ASSERT_TRUE(k::upsampleGrad(dy, factor, dx, error)) << error;
  GradCase c{[factor](const std::vector<DTensor> &in) {
               return ref::upsample(in[0], factor);
             },
             {x},
             {"x"}};
  c.check(dy, {dx}, {"upsampleGrad"});
}

TEST(GradKernelsTest, UpsampleByTwo) { checkUpsample({2, 3, 3, 3}, 2, "up2"); }

TEST(GradKernelsTest, UpsampleByThree) {
  checkUpsample({1, 2, 2, 3}, 3, "up3");
}

/// add(a, b): a's gradient is dy itself; b's is dy's first channels (all of
/// them when the channels are equal).
void checkAdd(const Shape &aShape, const Shape &bShape,
              const std::string &tag) {
  Tensor a = randomTensor(aShape, tag + ".a");
  Tensor b = randomTensor(bShape, tag + ".b");
  std::string error;
  Tensor y, db;
  ASSERT_TRUE(k::add(a, b, y, error)) << error;
  expectSameForward(y, ref::add(toDouble(a), toDouble(b)));
  Tensor dy = randomTensor(y.shape, tag + ".dy");
  ASSERT_TRUE(k::sliceChannels(dy, 0, bShape[1], db, error)) << error;
  GradCase c{
      [](const std::vector<DTensor> &in) { return ref::add(in[0], in[1]); },
      {a, b},
      {"lhs", "rhs"}};
  c.check(dy, {dy, db}, {"add lhs (dy itself)", "sliceChannels"});
}

TEST(GradKernelsTest, AddEqualChannels) {
  checkAdd({2, 3, 4, 4}, {2, 3, 4, 4}, "add1");
}

TEST(GradKernelsTest, AddFewerChannels) {
  checkAdd({2, 5, 3, 3}, {2, 2, 3, 3}, "add2");
}

TEST(GradKernelsTest, AddFewerFeaturesRank2) {
  checkAdd({3, 6}, {3, 4}, "add3");
}

void checkConcat(const Shape &aShape, const Shape &bShape,
                 const std::string &tag) {
  Tensor a = randomTensor(aShape, tag + ".a");
  Tensor b = randomTensor(bShape, tag + ".b");
  std::string error;
  Tensor y, da, db;
  ASSERT_TRUE(k::concat(a, b, y, error)) << error;
  expectSameForward(y, ref::concat(toDouble(a), toDouble(b)));
  Tensor dy = randomTensor(y.shape, tag + ".dy");
  ASSERT_TRUE(k::sliceChannels(dy, 0, aShape[1], da, error)) << error;
  ASSERT_TRUE(k::sliceChannels(dy, aShape[1], bShape[1], db, error)) << error;
  GradCase c{
      [](const std::vector<DTensor> &in) { return ref::concat(in[0], in[1]); },
      {a, b},
      {"lhs", "rhs"}};
  c.check(dy, {da, db}, {"sliceChannels", "sliceChannels"});
}

TEST(GradKernelsTest, Concat) {
  checkConcat({2, 2, 3, 3}, {2, 3, 3, 3}, "cat1");
}

TEST(GradKernelsTest, ConcatRank2) { checkConcat({3, 2}, {3, 4}, "cat2"); }

void checkSoftmax(const Shape &shape, const std::string &tag) {
  Tensor x = randomTensor(shape, tag + ".x", -2.0, 2.0);
  std::string error;
  Tensor y, dx;
  ASSERT_TRUE(k::softmax(x, y, error)) << error;
  expectSameForward(y, ref::softmax(toDouble(x)));
  Tensor dy = randomTensor(y.shape, tag + ".dy");
  ASSERT_TRUE(k::softmaxGrad(dy, y, dx, error)) << error;
  GradCase c{[](const std::vector<DTensor> &in) { return ref::softmax(in[0]); },
             {x},
             {"x"}};
  c.check(dy, {dx}, {"softmaxGrad"});
}

TEST(GradKernelsTest, Softmax) { checkSoftmax({3, 5}, "softmax2"); }

TEST(GradKernelsTest, SoftmaxOverLastDimOfRank4) {
  checkSoftmax({2, 2, 3, 4}, "softmax4");
}

/// y = os * (s + bs * f): ds = scale(dy, os), df = scale(dy, os * bs).
void checkResidualSum(double branchScale, double outputScale,
                      const std::string &tag) {
  Tensor s = randomTensor({2, 3, 3, 3}, tag + ".s");
  Tensor f = randomTensor({2, 3, 3, 3}, tag + ".f");
  std::string error;
  Tensor y, ds, df;
  ASSERT_TRUE(k::residualSum(s, f, branchScale, outputScale, y, error))
      << error;
  expectSameForward(
      y, ref::residualSum(toDouble(s), toDouble(f), branchScale, outputScale));
  Tensor dy = randomTensor(y.shape, tag + ".dy");
  ASSERT_TRUE(k::scale(dy, outputScale, ds, error)) << error;
  ASSERT_TRUE(k::scale(dy, outputScale * branchScale, df, error)) << error;
  GradCase c{[=](const std::vector<DTensor> &in) {
               return ref::residualSum(in[0], in[1], branchScale, outputScale);
             },
             {s, f},
             {"shortcut", "branch"}};
  c.check(dy, {ds, df}, {"scale", "scale"});
}

TEST(GradKernelsTest, ResidualSumScaled) { checkResidualSum(0.5, 0.7, "sum1"); }

TEST(GradKernelsTest, ResidualSumUnscaled) {
  checkResidualSum(1.0, 1.0, "sum2");
}

} // namespace
