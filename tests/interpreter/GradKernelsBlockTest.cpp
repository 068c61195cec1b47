// A whole residual block differentiated by hand from the gradient kernels,
// in the order the gradient pass composes them, against finite differences
// of the block in double:
//   F(x) = bn2(conv2(relu(bn1(conv1(x)))))        (batch norm in training)
//   S(x) = x, or bn3(conv1x1(x)) for a projection shortcut
//   y    = relu(outputScale * (S(x) + branchScale * F(x)))
// Every parameter's gradient and the input's are checked; the input's sums
// the branch and the shortcut with the forward add kernel, as the pass sums
// the gradients of several uses.
#include "DoubleForwards.h"

#include "compiler/interpreter/GradKernels.h"

using namespace res::gradcheck;
using res::Activation;
using resc::Tensor;
namespace k = res::kernels;

namespace {

constexpr double kEpsilon = 1e-5;

/// The composition rounds every intermediate to float, and the batch norms
/// amplify the rounding of their input by 1/std: the errors measured stay
/// below 2e-7 (the single ops: 1e-7), and 2e-6 leaves a margin of ten.
constexpr double kBlockTolerance = 2e-6;

/// Relu inputs must stay this far from the kink for the finite differences
/// (step 1e-6) not to cross it; the test says so if a seed breaks that.
constexpr float kKinkMargin = 1e-4f;

k::Conv2DAttrs conv(int64_t stride, int64_t padding) {
  k::Conv2DAttrs a;
  a.stride = {stride, stride};
  a.padding = {padding, padding};
  return a;
}

struct Config {
  int64_t batch, inChannels, outChannels, size, stride;
  bool projection;
  double branchScale, outputScale;
  std::string tag;
};

/// The parameters in the order of the forward's inputs after x.
std::vector<Tensor> makeParams(const Config &c) {
  auto t = [&](const Shape &shape, const std::string &name, double lo = -0.5,
               double hi = 0.5) {
    return randomTensor(shape, c.tag + "." + name, lo, hi);
  };
  const int64_t i = c.inChannels, o = c.outChannels;
  std::vector<Tensor> p = {t({o, i, 3, 3}, "w1"),  t({o}, "g1", 0.5, 1.5),
                           t({o}, "b1"),           t({o, o, 3, 3}, "w2"),
                           t({o}, "g2", 0.5, 1.5), t({o}, "b2")};
  if (c.projection)
    for (const Tensor &extra :
         {t({o, i, 1, 1}, "w3"), t({o}, "g3", 0.5, 1.5), t({o}, "b3")})
      p.push_back(extra);
  return p;
}

DTensor blockReference(const Config &c, const std::vector<DTensor> &in) {
  DTensor a1 = ref::conv2d(in[0], in[1], nullptr, conv(c.stride, 1));
  DTensor r1 = ref::activation(Activation::relu,
                               ref::batchNormTrain(a1, in[2], in[3], kEpsilon));
  DTensor a2 = ref::conv2d(r1, in[4], nullptr, conv(1, 1));
  DTensor f = ref::batchNormTrain(a2, in[5], in[6], kEpsilon);
  DTensor s = in[0];
  if (c.projection)
    s = ref::batchNormTrain(
        ref::conv2d(in[0], in[7], nullptr, conv(c.stride, 0)), in[8], in[9],
        kEpsilon);
  return ref::activation(Activation::relu,
                         ref::residualSum(s, f, c.branchScale, c.outputScale));
}

/// What the training forward keeps of a conv + batch norm for the backward
/// pass: the conv's input, the batch norm's input and batch statistics.
struct ConvBn {
  Tensor input, conv, mean, var, out;
};

::testing::AssertionResult convBnForward(const Tensor &x, const Tensor &w,
                                         const Tensor &gamma,
                                         const Tensor &beta,
                                         const k::Conv2DAttrs &a, ConvBn &s) {
  std::string error;
  s.input = x;
  if (!k::conv2d(x, w, nullptr, a, s.conv, error) ||
      !k::channelMean(s.conv, s.mean, error) ||
      !k::channelVar(s.conv, s.mean, /*unbiased=*/false, s.var, error) ||
      !k::batchNorm(s.conv, gamma, beta, s.mean, s.var, kEpsilon, s.out, error))
    return ::testing::AssertionFailure() << error;
  return ::testing::AssertionSuccess();
}

/// From the gradient of the batch norm's output: the gradients of the
/// conv's input, the weight, gamma and beta.
::testing::AssertionResult
convBnBackward(const Tensor &dOut, const Tensor &w, const Tensor &gamma,
               const k::Conv2DAttrs &a, const ConvBn &s, Tensor &dx, Tensor &dw,
               Tensor &dgamma, Tensor &dbeta) {
  std::string error;
  Tensor dConv;
  Shape inputShape = s.input.shape;
  inputShape[0] = res::kDynamicDim;
  if (!k::batchNormGradGamma(dOut, s.conv, s.mean, s.var, kEpsilon, dgamma,
                             error) ||
      !k::channelSum(dOut, dbeta, error) ||
      !k::batchNormGrad(dOut, s.conv, gamma, s.mean, s.var, kEpsilon, dConv,
                        error) ||
      !k::conv2dGradWeight(s.input, dConv, a, w.shape, dw, error) ||
      !k::conv2dGradInput(dConv, w, a, inputShape, dx, error))
    return ::testing::AssertionFailure() << error;
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult awayFromKink(const Tensor &t, const char *what) {
  for (float v : t.data)
    if (std::abs(v) < kKinkMargin)
      return ::testing::AssertionFailure()
             << what << " has " << v
             << " next to relu's kink; choose other seeds";
  return ::testing::AssertionSuccess();
}

void checkBlock(const Config &c) {
  Tensor x =
      randomTensor({c.batch, c.inChannels, c.size, c.size}, c.tag + ".x");
  std::vector<Tensor> p = makeParams(c);
  std::string error;

  // The training forward, keeping what the backward needs.
  ConvBn bn1, bn2, bn3;
  Tensor r1, z, y;
  ASSERT_TRUE(convBnForward(x, p[0], p[1], p[2], conv(c.stride, 1), bn1));
  ASSERT_TRUE(k::activation(bn1.out, Activation::relu, r1, error)) << error;
  ASSERT_TRUE(convBnForward(r1, p[3], p[4], p[5], conv(1, 1), bn2));
  Tensor shortcut = x;
  if (c.projection) {
    ASSERT_TRUE(convBnForward(x, p[6], p[7], p[8], conv(c.stride, 0), bn3));
    shortcut = bn3.out;
  }
  ASSERT_TRUE(
      k::residualSum(shortcut, bn2.out, c.branchScale, c.outputScale, z, error))
      << error;
  ASSERT_TRUE(k::activation(z, Activation::relu, y, error)) << error;
  ASSERT_TRUE(awayFromKink(bn1.out, "the branch's relu input"));
  ASSERT_TRUE(awayFromKink(z, "the block's relu input"));

  std::vector<DTensor> at = {toDouble(x)};
  for (const Tensor &t : p)
    at.push_back(toDouble(t));
  expectSameForward(y, blockReference(c, at), kBlockTolerance);

  // The backward, in reverse.
  Tensor dy = randomTensor(y.shape, c.tag + ".dy");
  Tensor dz, dShortcut, dBranch, dr1, dBn1, dxBranch, dxShortcut, dx;
  std::vector<Tensor> dp(p.size());
  ASSERT_TRUE(k::activationGrad(Activation::relu, dy, z, dz, error)) << error;
  ASSERT_TRUE(k::scale(dz, c.outputScale, dShortcut, error)) << error;
  ASSERT_TRUE(k::scale(dz, c.outputScale * c.branchScale, dBranch, error))
      << error;
  ASSERT_TRUE(convBnBackward(dBranch, p[3], p[4], conv(1, 1), bn2, dr1, dp[3],
                             dp[4], dp[5]));
  ASSERT_TRUE(k::activationGrad(Activation::relu, dr1, bn1.out, dBn1, error))
      << error;
  ASSERT_TRUE(convBnBackward(dBn1, p[0], p[1], conv(c.stride, 1), bn1, dxBranch,
                             dp[0], dp[1], dp[2]));
  dxShortcut = dShortcut;
  if (c.projection)
    ASSERT_TRUE(convBnBackward(dShortcut, p[6], p[7], conv(c.stride, 0), bn3,
                               dxShortcut, dp[6], dp[7], dp[8]));
  ASSERT_TRUE(k::add(dxBranch, dxShortcut, dx, error)) << error;

  std::vector<Tensor> inputs = {x}, got = {dx};
  inputs.insert(inputs.end(), p.begin(), p.end());
  got.insert(got.end(), dp.begin(), dp.end());
  std::vector<std::string> names = {
      "x",      "conv1", "gamma1",        "beta1",  "conv2",
      "gamma2", "beta2", "shortcut conv", "gamma3", "beta3"};
  names.resize(inputs.size());
  GradCase block{
      [c](const std::vector<DTensor> &in) { return blockReference(c, in); },
      inputs, names};
  block.check(
      dy, got,
      std::vector<std::string>(inputs.size(), "residual block (" + c.tag + ")"),
      kBlockTolerance);
}

TEST(GradKernelsBlockTest, IdentityShortcutScaled) {
  checkBlock({2, 4, 4, 5, 1, false, 0.5, 0.7, "identity"});
}

TEST(GradKernelsBlockTest, IdentityShortcutUnscaled) {
  checkBlock({2, 3, 3, 4, 1, false, 1.0, 1.0, "identity-unscaled"});
}

TEST(GradKernelsBlockTest, ProjectionShortcutScaled) {
  checkBlock({2, 3, 4, 6, 2, true, 0.5, 0.7, "projection"});
}

} // namespace
