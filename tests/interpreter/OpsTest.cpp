// One op at a time against numbers worked out by hand (the comments show the
// working), covering each attribute the op has.
#include "InterpreterTestUtil.h"

#include <cmath>

using namespace res::testing;
using resc::Tensor;

namespace {

using OpsTest = InterpreterTest;

std::string convModel(const std::string &attrs, const std::string &in,
                      const std::string &w, const std::string &out,
                      bool bias = false) {
  // The bias has one element per output channel, the weight's first dim.
  std::string biasType = "tensor<" + w.substr(0, w.find('x')) + "xf32>";
  std::string ir = "module {\n  res.param @w : tensor<" + w + "xf32>\n";
  if (bias)
    ir += "  res.param @b : " + biasType + "\n";
  ir += "  func.func @m(%x: tensor<" + in + "xf32>) -> tensor<" + out +
        "xf32> {\n    %w = res.weight @w : tensor<" + w + "xf32>\n";
  if (bias)
    ir += "    %b = res.weight @b : " + biasType + "\n";
  ir += "    %y = res.conv2d %x, %w" + std::string(bias ? ", %b" : "") + " {" +
        attrs + "} : (tensor<" + in + "xf32>, tensor<" + w + "xf32>" +
        (bias ? ", " + biasType : "") + ") -> tensor<" + out +
        "xf32>\n    return %y : tensor<" + out + "xf32>\n  }\n}\n";
  return ir;
}

std::string convAttrs(const std::string &stride, const std::string &pad,
                      const std::string &dilation, int groups = 1) {
  return "dilation = array<i64: " + dilation +
         ">, groups = " + std::to_string(groups) +
         " : i64, padding = array<i64: " + pad +
         ">, stride = array<i64: " + stride + ">";
}

TEST_F(OpsTest, ConvPlain) {
  // x = 1..9 in 3x3; the weight [1 0; 0 1] sums each 2x2 window's diagonal.
  Tensor y =
      runOne(convModel(convAttrs("1, 1", "0, 0", "1, 1"), "1x1x3x3", "1x1x2x2",
                       "1x1x2x2"),
             {iota({1, 1, 3, 3})}, {{"w", tensor({1, 1, 2, 2}, {1, 0, 0, 1})}});
  expectTensor(y, {1, 1, 2, 2}, {1 + 5, 2 + 6, 4 + 8, 5 + 9});
}

TEST_F(OpsTest, ConvBias) {
  Tensor y = runOne(convModel(convAttrs("1, 1", "0, 0", "1, 1"), "?x1x3x3",
                              "2x1x2x2", "?x2x2x2", /*bias=*/true),
                    {iota({1, 1, 3, 3})},
                    {{"w", tensor({2, 1, 2, 2}, {1, 0, 0, 1, 0, 0, 0, -1})},
                     {"b", tensor({2}, {0.5f, 10})}});
  expectTensor(y, {1, 2, 2, 2},
               {6.5f, 8.5f, 12.5f, 14.5f, 10 - 5, 10 - 6, 10 - 8, 10 - 9});
}

TEST_F(OpsTest, ConvPadding) {
  // A 3x3 box sum with zero padding: each output sums the in-bounds
  // neighbours of x = 1..9, e.g. the corner 1+2+4+5 = 12.
  Tensor y = runOne(convModel(convAttrs("1, 1", "1, 1", "1, 1"), "?x1x3x3",
                              "1x1x3x3", "?x1x3x3"),
                    {iota({1, 1, 3, 3})}, {{"w", Tensor({1, 1, 3, 3}, 1.0f)}});
  expectTensor(y, {1, 1, 3, 3}, {12, 21, 16, 27, 45, 33, 24, 39, 28});
}

TEST_F(OpsTest, ConvStrideAndPadding) {
  // (3 + 2 - 3) / 2 + 1 = 2 outputs per dim: the corners of the box sums.
  Tensor y = runOne(convModel(convAttrs("2, 2", "1, 1", "1, 1"), "?x1x3x3",
                              "1x1x3x3", "?x1x2x2"),
                    {iota({1, 1, 3, 3})}, {{"w", Tensor({1, 1, 3, 3}, 1.0f)}});
  expectTensor(y, {1, 1, 2, 2}, {12, 16, 24, 28});
}

TEST_F(OpsTest, ConvAsymmetricStrideAndPadding) {
  // A 1x1 identity kernel: stride 2 on H keeps rows 0 and 2; padding 1 on W
  // adds a zero column on each side.
  Tensor y = runOne(convModel(convAttrs("2, 1", "0, 1", "1, 1"), "?x1x3x3",
                              "1x1x1x1", "?x1x2x5"),
                    {iota({1, 1, 3, 3})}, {{"w", Tensor({1, 1, 1, 1}, 1.0f)}});
  expectTensor(y, {1, 1, 2, 5}, {0, 1, 2, 3, 0, 0, 7, 8, 9, 0});
}

TEST_F(OpsTest, ConvDilation) {
  // A 2x2 kernel dilated by 2 spans the 3x3 input's corners:
  // 1*1 + 10*3 + 100*7 + 1000*9.
  Tensor y = runOne(convModel(convAttrs("1, 1", "0, 0", "2, 2"), "?x1x3x3",
                              "1x1x2x2", "?x1x1x1"),
                    {iota({1, 1, 3, 3})},
                    {{"w", tensor({1, 1, 2, 2}, {1, 10, 100, 1000})}});
  expectTensor(y, {1, 1, 1, 1}, {9731});
}

TEST_F(OpsTest, ConvGroups) {
  // groups = 2: outputs 0-1 see input channel 0 (2, 3 per batch), outputs
  // 2-3 see channel 1.
  Tensor y = runOne(convModel(convAttrs("1, 1", "0, 0", "1, 1", 2), "?x2x1x1",
                              "4x1x1x1", "?x4x1x1"),
                    {tensor({2, 2, 1, 1}, {2, 3, -1, 5})},
                    {{"w", tensor({4, 1, 1, 1}, {1, 10, 100, 1000})}});
  expectTensor(y, {2, 4, 1, 1}, {2, 20, 300, 3000, -1, -10, 500, 5000});
}

TEST_F(OpsTest, ConvWithoutGroupsMixesChannels) {
  // The same input with groups = 1: each output sums both channels.
  Tensor y = runOne(convModel(convAttrs("1, 1", "0, 0", "1, 1"), "?x2x1x1",
                              "2x2x1x1", "?x2x1x1"),
                    {tensor({2, 2, 1, 1}, {2, 3, -1, 5})},
                    {{"w", tensor({2, 2, 1, 1}, {1, 10, 100, 1000})}});
  expectTensor(y, {2, 2, 1, 1}, {2 + 30, 200 + 3000, -1 + 50, -100 + 5000});
}

TEST_F(OpsTest, BatchNorm) {
  // eps = 0.25 makes the denominators sqrt(3.75 + 0.25) = 2 and
  // sqrt(0.75 + 0.25) = 1. Channel 0: (x - 1) / 2 * 2 + 1 = x.
  // Channel 1: (x - 3) * 0.5 - 1.
  const char *ir = R"mlir(
module {
  res.param @w : tensor<2xf32>
  res.param @b : tensor<2xf32>
  res.param @m : tensor<2xf32>
  res.param @v : tensor<2xf32>
  func.func @f(%x: tensor<?x2x1x2xf32>) -> tensor<?x2x1x2xf32> {
    %w = res.weight @w : tensor<2xf32>
    %b = res.weight @b : tensor<2xf32>
    %m = res.weight @m : tensor<2xf32>
    %v = res.weight @v : tensor<2xf32>
    %y = res.batch_norm %x, %w, %b, %m, %v {epsilon = 2.5e-01 : f64, momentum = 1.0e-01 : f64} : (tensor<?x2x1x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<?x2x1x2xf32>
    return %y : tensor<?x2x1x2xf32>
  }
}
)mlir";
  resc::TensorMap params = {{"w", tensor({2}, {2, 0.5f})},
                            {"b", tensor({2}, {1, -1})},
                            {"m", tensor({2}, {1, 3})},
                            {"v", tensor({2}, {3.75f, 0.75f})}};
  Tensor y =
      runOne(ir, {tensor({2, 2, 1, 2}, {1, 2, 3, 4, 5, 6, 7, 8})}, params);
  expectTensor(y, {2, 2, 1, 2},
               {1, 2, -1, -0.5f, 5, 6, (7 - 3) * 0.5f - 1, (8 - 3) * 0.5f - 1});
}

TEST_F(OpsTest, BatchNormOnVectors) {
  const char *ir = R"mlir(
module {
  res.param @w : tensor<2xf32>
  res.param @b : tensor<2xf32>
  res.param @m : tensor<2xf32>
  res.param @v : tensor<2xf32>
  func.func @f(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
    %w = res.weight @w : tensor<2xf32>
    %b = res.weight @b : tensor<2xf32>
    %m = res.weight @m : tensor<2xf32>
    %v = res.weight @v : tensor<2xf32>
    %y = res.batch_norm %x, %w, %b, %m, %v {epsilon = 1.0 : f64, momentum = 1.0e-01 : f64} : (tensor<?x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<?x2xf32>
    return %y : tensor<?x2xf32>
  }
}
)mlir";
  // Denominators sqrt(3 + 1) = 2 and sqrt(0 + 1) = 1.
  resc::TensorMap params = {{"w", tensor({2}, {1, 1})},
                            {"b", tensor({2}, {0, 0})},
                            {"m", tensor({2}, {0, 1})},
                            {"v", tensor({2}, {3, 0})}};
  Tensor y = runOne(ir, {tensor({2, 2}, {4, 4, -2, -2})}, params);
  expectTensor(y, {2, 2}, {2, 3, -1, -3});
}

std::string activationModel(const std::string &kind) {
  return R"mlir(
module {
  func.func @f(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
    %y = res.activation )mlir" +
         kind + R"mlir( %x : tensor<?x4xf32>
    return %y : tensor<?x4xf32>
  }
}
)mlir";
}

TEST_F(OpsTest, Activations) {
  Tensor x = tensor({1, 4}, {-2, -0.5f, 0, 1.5f});
  expectTensor(runOne(activationModel("identity"), {x}), {1, 4},
               {-2, -0.5f, 0, 1.5f});
  expectTensor(runOne(activationModel("relu"), {x}), {1, 4}, {0, 0, 0, 1.5f});
  // 0.5 x (1 + erf(x / sqrt 2)); the tanh approximation would give
  // 1.39957 for 1.5, which the tolerance rejects.
  expectTensor(
      runOne(activationModel("gelu"), {x}), {1, 4},
      {-0.04550026389635842f, -0.15426876936299344f, 0, 1.399789198096713f});
  expectTensor(
      runOne(activationModel("sigmoid"), {x}), {1, 4},
      {0.11920292202211755f, 0.3775406687981454f, 0.5f, 0.8175744761936437f});
  expectTensor(
      runOne(activationModel("tanh"), {x}), {1, 4},
      {-0.9640275800758169f, -0.46211715726000974f, 0, 0.9051482536448664f});
}

// MobileNet's and EfficientNet's activations, against values PyTorch's
// F.relu6, F.hardsigmoid, F.hardswish and F.silu give, on both sides of
// every kink (-3, 0, 3, 6).
TEST_F(OpsTest, MobileActivations) {
  Tensor x = tensor({1, 4}, {-4, -1.5f, 2, 7});
  expectTensor(runOne(activationModel("relu6"), {x}), {1, 4}, {0, 0, 2, 6});
  expectTensor(runOne(activationModel("hardsigmoid"), {x}), {1, 4},
               {0, 0.25f, 0.8333333333333334f, 1});
  expectTensor(runOne(activationModel("hardswish"), {x}), {1, 4},
               {0, -0.375f, 1.6666666666666667f, 7});
  expectTensor(runOne(activationModel("silu"), {x}), {1, 4},
               {-0.07194483984836623f, -0.2736382857095345f,
                1.7615941559557646f, 6.993622641639196f});
  // NaN stays NaN (torch.clamp's rule), not 0 or 6.
  Tensor nan = tensor({1, 4}, {NAN, 1, 1, 1});
  for (const char *kind : {"relu6", "hardsigmoid", "hardswish"})
    EXPECT_TRUE(std::isnan(runOne(activationModel(kind), {nan}).data[0]))
        << kind;
}

std::string poolModel(const std::string &op, const std::string &kernel,
                      const std::string &stride, const std::string &pad,
                      const std::string &in, const std::string &out) {
  return "module {\n  func.func @f(%x: tensor<" + in + "xf32>) -> tensor<" +
         out + "xf32> {\n    %y = res." + op +
         " %x {kernel = array<i64: " + kernel +
         ">, padding = array<i64: " + pad + ">, stride = array<i64: " + stride +
         ">} : (tensor<" + in + "xf32>) -> tensor<" + out +
         "xf32>\n    return %y : tensor<" + out + "xf32>\n  }\n}\n";
}

TEST_F(OpsTest, MaxPool) {
  // x = 1..16 in 4x4; 2x2 windows with stride 2.
  Tensor y = runOne(
      poolModel("max_pool2d", "2, 2", "2, 2", "0, 0", "?x1x4x4", "?x1x2x2"),
      {iota({1, 1, 4, 4})});
  expectTensor(y, {1, 1, 2, 2}, {6, 8, 14, 16});
}

TEST_F(OpsTest, MaxPoolPaddingIsMinusInfinity) {
  // x = -1..-16: zero padding would win every border window. Windows cover
  // rows/cols {-1,0}, {1,2}, {3,4}.
  Tensor y = runOne(
      poolModel("max_pool2d", "2, 2", "2, 2", "1, 1", "?x1x4x4", "?x1x3x3"),
      {iota({1, 1, 4, 4}, -1, -1)});
  expectTensor(y, {1, 1, 3, 3}, {-1, -2, -4, -5, -6, -8, -13, -14, -16});
}

TEST_F(OpsTest, MaxPoolOverlapping) {
  Tensor y = runOne(
      poolModel("max_pool2d", "3, 3", "1, 1", "1, 1", "?x1x3x3", "?x1x3x3"),
      {iota({1, 1, 3, 3})});
  expectTensor(y, {1, 1, 3, 3}, {5, 6, 6, 8, 9, 9, 8, 9, 9});
}

TEST_F(OpsTest, AvgPool) {
  // (1 + 2 + 5 + 6) / 4 = 3.5, ...
  Tensor y = runOne(
      poolModel("avg_pool2d", "2, 2", "2, 2", "0, 0", "?x1x4x4", "?x1x2x2"),
      {iota({1, 1, 4, 4})});
  expectTensor(y, {1, 1, 2, 2}, {3.5f, 5.5f, 11.5f, 13.5f});
}

TEST_F(OpsTest, AvgPoolCountsPadding) {
  // count_include_pad: the box sums of ConvPadding divided by 9 everywhere
  // (excluding padding would give 12 / 4 = 3 at the corner).
  Tensor y = runOne(
      poolModel("avg_pool2d", "3, 3", "1, 1", "1, 1", "?x1x3x3", "?x1x3x3"),
      {iota({1, 1, 3, 3})});
  std::vector<float> want = {12, 21, 16, 27, 45, 33, 24, 39, 28};
  for (float &v : want)
    v /= 9;
  expectTensor(y, {1, 1, 3, 3}, want);
}

TEST_F(OpsTest, AvgPoolRectangularWindow) {
  // 1x2 windows with stride [1, 2] on rows 1..4 and 5..8, two channels.
  Tensor y = runOne(
      poolModel("avg_pool2d", "1, 2", "1, 2", "0, 0", "?x2x2x4", "?x2x2x2"),
      {iota({1, 2, 2, 4})});
  expectTensor(y, {1, 2, 2, 2},
               {1.5f, 3.5f, 5.5f, 7.5f, 9.5f, 11.5f, 13.5f, 15.5f});
}

TEST_F(OpsTest, GlobalAvgPool) {
  const char *ir = R"mlir(
module {
  func.func @f(%x: tensor<?x2x2x2xf32>) -> tensor<?x2xf32> {
    %y = res.global_avg_pool %x : (tensor<?x2x2x2xf32>) -> tensor<?x2xf32>
    return %y : tensor<?x2xf32>
  }
}
)mlir";
  // Means of 1..4, 5..8, 9..12, 13..16.
  expectTensor(runOne(ir, {iota({2, 2, 2, 2})}), {2, 2},
               {2.5f, 6.5f, 10.5f, 14.5f});
}

TEST_F(OpsTest, Flatten) {
  const char *ir = R"mlir(
module {
  func.func @f(%x: tensor<?x2x1x3xf32>) -> tensor<?x6xf32> {
    %y = res.flatten %x : (tensor<?x2x1x3xf32>) -> tensor<?x6xf32>
    return %y : tensor<?x6xf32>
  }
}
)mlir";
  expectTensor(runOne(ir, {iota({2, 2, 1, 3})}), {2, 6},
               {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
}

const char *kDenseBias = R"mlir(
module {
  res.param @w : tensor<2x3xf32>
  res.param @b : tensor<2xf32>
  func.func @f(%x: tensor<?x3xf32>) -> tensor<?x2xf32> {
    %w = res.weight @w : tensor<2x3xf32>
    %b = res.weight @b : tensor<2xf32>
    %y = res.dense %x, %w, %b : (tensor<?x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<?x2xf32>
    return %y : tensor<?x2xf32>
  }
}
)mlir";

TEST_F(OpsTest, Dense) {
  // x W^T + b with W = [[1, 0, -1], [0.5, 0.5, 0.5]], b = [10, -1]:
  // [1 - 3 + 10, 3 - 1], [4 - 6 + 10, 7.5 - 1].
  Tensor y = runOne(kDenseBias, {iota({2, 3})},
                    {{"w", tensor({2, 3}, {1, 0, -1, 0.5f, 0.5f, 0.5f})},
                     {"b", tensor({2}, {10, -1})}});
  expectTensor(y, {2, 2}, {8, 2, 8, 6.5f});
}

TEST_F(OpsTest, DensePerPixel) {
  // Over C at each pixel of [1, 3, 1, 2]: pixel 0 is (1, 3, 5), pixel 1
  // (2, 4, 6); W and b as in Dense give [6, 3.5] and [6, 5].
  const char *ir = R"mlir(
module {
  res.param @w : tensor<2x3xf32>
  res.param @b : tensor<2xf32>
  func.func @f(%x: tensor<?x3x1x2xf32>) -> tensor<?x2x1x2xf32> {
    %w = res.weight @w : tensor<2x3xf32>
    %b = res.weight @b : tensor<2xf32>
    %y = res.dense %x, %w, %b : (tensor<?x3x1x2xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<?x2x1x2xf32>
    return %y : tensor<?x2x1x2xf32>
  }
}
)mlir";
  Tensor y = runOne(ir, {iota({1, 3, 1, 2})},
                    {{"w", tensor({2, 3}, {1, 0, -1, 0.5f, 0.5f, 0.5f})},
                     {"b", tensor({2}, {10, -1})}});
  expectTensor(y, {1, 2, 1, 2}, {6, 6, 3.5f, 5});
}

TEST_F(OpsTest, DenseWithoutBias) {
  const char *ir = R"mlir(
module {
  res.param @w : tensor<2x3xf32>
  func.func @f(%x: tensor<?x3xf32>) -> tensor<?x2xf32> {
    %w = res.weight @w : tensor<2x3xf32>
    %y = res.dense %x, %w : (tensor<?x3xf32>, tensor<2x3xf32>) -> tensor<?x2xf32>
    return %y : tensor<?x2xf32>
  }
}
)mlir";
  Tensor y = runOne(ir, {iota({2, 3})},
                    {{"w", tensor({2, 3}, {1, 0, -1, 0.5f, 0.5f, 0.5f})}});
  expectTensor(y, {2, 2}, {-2, 3, -2, 7.5f});
}

TEST_F(OpsTest, Upsample) {
  const char *ir = R"mlir(
module {
  func.func @f(%x: tensor<?x1x2x2xf32>) -> tensor<?x1x4x4xf32> {
    %y = res.upsample %x {factor = 2 : i64} : (tensor<?x1x2x2xf32>) -> tensor<?x1x4x4xf32>
    return %y : tensor<?x1x4x4xf32>
  }
}
)mlir";
  expectTensor(runOne(ir, {iota({1, 1, 2, 2})}), {1, 1, 4, 4},
               {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4});
}

TEST_F(OpsTest, UpsampleByThree) {
  const char *ir = R"mlir(
module {
  func.func @f(%x: tensor<?x2x1x2xf32>) -> tensor<?x2x3x6xf32> {
    %y = res.upsample %x {factor = 3 : i64} : (tensor<?x2x1x2xf32>) -> tensor<?x2x3x6xf32>
    return %y : tensor<?x2x3x6xf32>
  }
}
)mlir";
  std::vector<float> want;
  for (float a : {1.0f, 3.0f})
    for (int row = 0; row < 3; ++row)
      for (float v : {a, a, a, a + 1, a + 1, a + 1})
        want.push_back(v);
  expectTensor(runOne(ir, {iota({1, 2, 1, 2})}), {1, 2, 3, 6}, want);
}

TEST_F(OpsTest, Add) {
  const char *ir = R"mlir(
module {
  func.func @f(%a: tensor<?x3xf32>, %b: tensor<?x3xf32>) -> tensor<?x3xf32> {
    %y = res.add %a, %b : tensor<?x3xf32>, tensor<?x3xf32>
    return %y : tensor<?x3xf32>
  }
}
)mlir";
  expectTensor(runOne(ir, {iota({1, 3}), tensor({1, 3}, {10, 20, -0.5f})}),
               {1, 3}, {11, 22, 2.5f});
}

TEST_F(OpsTest, AddOfFewerChannels) {
  const char *ir = R"mlir(
module {
  func.func @f(%a: tensor<?x3x1x2xf32>, %b: tensor<?x1x1x2xf32>) -> tensor<?x3x1x2xf32> {
    %y = res.add %a, %b : tensor<?x3x1x2xf32>, tensor<?x1x1x2xf32>
    return %y : tensor<?x3x1x2xf32>
  }
}
)mlir";
  // b's one channel goes onto a's channel 0 in each sample; channels 1-2
  // are kept.
  expectTensor(runOne(ir, {Tensor({2, 3, 1, 2}, 1.0f), iota({2, 1, 1, 2}, 10)}),
               {2, 3, 1, 2}, {11, 12, 1, 1, 1, 1, 13, 14, 1, 1, 1, 1});
}

TEST_F(OpsTest, ConcatChannels) {
  const char *ir = R"mlir(
module {
  func.func @f(%a: tensor<?x1x1x2xf32>, %b: tensor<?x2x1x2xf32>) -> tensor<?x3x1x2xf32> {
    %y = res.concat %a, %b : (tensor<?x1x1x2xf32>, tensor<?x2x1x2xf32>) -> tensor<?x3x1x2xf32>
    return %y : tensor<?x3x1x2xf32>
  }
}
)mlir";
  // Per batch: a's one channel, then b's two.
  expectTensor(runOne(ir, {iota({2, 1, 1, 2}), iota({2, 2, 1, 2}, 10)}),
               {2, 3, 1, 2}, {1, 2, 10, 11, 12, 13, 3, 4, 14, 15, 16, 17});
}

TEST_F(OpsTest, ConcatVectors) {
  const char *ir = R"mlir(
module {
  func.func @f(%a: tensor<?x2xf32>, %b: tensor<?x1xf32>) -> tensor<?x3xf32> {
    %y = res.concat %a, %b : (tensor<?x2xf32>, tensor<?x1xf32>) -> tensor<?x3xf32>
    return %y : tensor<?x3xf32>
  }
}
)mlir";
  expectTensor(runOne(ir, {iota({2, 2}), tensor({2, 1}, {-1, -2})}), {2, 3},
               {1, 2, -1, 3, 4, -2});
}

TEST_F(OpsTest, LayerNormOnVectors) {
  // Both rows have variance 2.25; eps = 1.75 makes the denominator 2.
  // Row 0: mean 0.5, xhat = (-0.75, -0.75, 0.75, 0.75); row 1: mean 2.5,
  // xhat = (0.75, -0.75, 0.75, -0.75); then * (1, 2, 1, 2) + (0, 0, 1, 1).
  const char *ir = R"mlir(
module {
  res.param @ln.weight : tensor<4xf32>
  res.param @ln.bias : tensor<4xf32>
  func.func @f(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
    %w = res.weight @ln.weight : tensor<4xf32>
    %b = res.weight @ln.bias : tensor<4xf32>
    %y = res.layer_norm %x, %w, %b {epsilon = 1.75 : f64} : (tensor<?x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
    return %y : tensor<?x4xf32>
  }
}
)mlir";
  resc::TensorMap params = {{"ln.weight", tensor({4}, {1, 2, 1, 2})},
                            {"ln.bias", tensor({4}, {0, 0, 1, 1})}};
  Tensor y = runOne(ir, {tensor({2, 4}, {-1, -1, 2, 2, 4, 1, 4, 1})}, params);
  expectTensor(y, {2, 4},
               {-0.75f, -1.5f, 1.75f, 2.5f, 0.75f, -1.5f, 1.75f, -0.5f});
}

TEST_F(OpsTest, LayerNormOverChannels) {
  // Per pixel over C (LayerNorm2d): pixel 0 has channels (1, 3), pixel 1
  // (6, 4); both have variance 1, and eps = 3 makes the denominator 2.
  const char *plain = R"mlir(
module {
  func.func @f(%x: tensor<?x2x1x2xf32>) -> tensor<?x2x1x2xf32> {
    %y = res.layer_norm %x {epsilon = 3.0 : f64} : (tensor<?x2x1x2xf32>) -> tensor<?x2x1x2xf32>
    return %y : tensor<?x2x1x2xf32>
  }
}
)mlir";
  Tensor x = tensor({1, 2, 1, 2}, {1, 6, 3, 4});
  expectTensor(runOne(plain, {x}), {1, 2, 1, 2}, {-0.5f, 0.5f, 0.5f, -0.5f});
  const char *affine = R"mlir(
module {
  res.param @ln.weight : tensor<2xf32>
  res.param @ln.bias : tensor<2xf32>
  func.func @f(%x: tensor<?x2x1x2xf32>) -> tensor<?x2x1x2xf32> {
    %w = res.weight @ln.weight : tensor<2xf32>
    %b = res.weight @ln.bias : tensor<2xf32>
    %y = res.layer_norm %x, %w, %b {epsilon = 3.0 : f64} : (tensor<?x2x1x2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<?x2x1x2xf32>
    return %y : tensor<?x2x1x2xf32>
  }
}
)mlir";
  resc::TensorMap params = {{"ln.weight", tensor({2}, {2, 1})},
                            {"ln.bias", tensor({2}, {0, 10})}};
  expectTensor(runOne(affine, {x}, params), {1, 2, 1, 2}, {-1, 1, 10.5f, 9.5f});
}

TEST_F(OpsTest, ChannelScale) {
  const char *image = R"mlir(
module {
  res.param @ls : tensor<2x1x1xf32>
  func.func @f(%x: tensor<?x2x1x2xf32>) -> tensor<?x2x1x2xf32> {
    %s = res.weight @ls : tensor<2x1x1xf32>
    %y = res.channel_scale %x, %s {init = 1.0e-6 : f64} : (tensor<?x2x1x2xf32>, tensor<2x1x1xf32>) -> tensor<?x2x1x2xf32>
    return %y : tensor<?x2x1x2xf32>
  }
}
)mlir";
  expectTensor(runOne(image, {iota({1, 2, 1, 2})},
                      {{"ls", tensor({2, 1, 1}, {10, -1})}}),
               {1, 2, 1, 2}, {10, 20, -3, -4});
  const char *vector = R"mlir(
module {
  res.param @ls : tensor<2xf32>
  func.func @f(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
    %s = res.weight @ls : tensor<2xf32>
    %y = res.channel_scale %x, %s {init = 1.0e-6 : f64} : (tensor<?x2xf32>, tensor<2xf32>) -> tensor<?x2xf32>
    return %y : tensor<?x2xf32>
  }
}
)mlir";
  expectTensor(runOne(vector, {iota({2, 2})}, {{"ls", tensor({2}, {2, 0.5f})}}),
               {2, 2}, {2, 1, 6, 2});
}

TEST_F(OpsTest, Softmax) {
  const char *ir = R"mlir(
module {
  func.func @f(%x: tensor<?x3xf32>) -> tensor<?x3xf32> {
    %y = res.softmax %x : tensor<?x3xf32>
    return %y : tensor<?x3xf32>
  }
}
)mlir";
  // e^k / (e + e^2 + e^3); a row of 1000s would overflow exp without the
  // shift by the row maximum.
  expectTensor(runOne(ir, {tensor({2, 3}, {1, 2, 3, 1000, 1000, 1000})}),
               {2, 3},
               {0.09003057317038046f, 0.24472847105479767f, 0.6652409557748219f,
                1.0f / 3, 1.0f / 3, 1.0f / 3});
}

TEST_F(OpsTest, SoftmaxOnLastDimOfRank4) {
  const char *ir = R"mlir(
module {
  func.func @f(%x: tensor<?x1x2x2xf32>) -> tensor<?x1x2x2xf32> {
    %y = res.softmax %x : tensor<?x1x2x2xf32>
    return %y : tensor<?x1x2x2xf32>
  }
}
)mlir";
  // Each row [a, a + ln 3] gives [1/4, 3/4].
  float ln3 = std::log(3.0f);
  expectTensor(runOne(ir, {tensor({1, 1, 2, 2}, {0, ln3, -5, -5 + ln3})}),
               {1, 1, 2, 2}, {0.25f, 0.75f, 0.25f, 0.75f});
}

} // namespace
