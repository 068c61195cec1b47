// Residual blocks, tied repeats, bound parameters and dynamic dims, against
// numbers worked out by hand.
#include "InterpreterTestUtil.h"

using namespace res::testing;
using resc::Tensor;

namespace {

using StructureTest = InterpreterTest;

std::string identityResidual(const std::string &attrs,
                             const std::string &after) {
  return R"mlir(
module {
  func.func @f(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
    %y = res.residual %x )mlir" +
         after + " " + attrs +
         R"mlir( : tensor<?x2xf32> -> tensor<?x2xf32> branch {
    ^bb0(%a: tensor<?x2xf32>):
      %r = res.activation relu %a : tensor<?x2xf32>
      res.yield %r : tensor<?x2xf32>
    }
    return %y : tensor<?x2xf32>
  }
}
)mlir";
}

TEST_F(StructureTest, ResidualIdentityDefaults) {
  // x + relu(x) on [-1, 2].
  Tensor y = runOne(identityResidual("", ""), {tensor({1, 2}, {-1, 2})});
  expectTensor(y, {1, 2}, {-1, 4});
}

TEST_F(StructureTest, ResidualScales) {
  // 2 * (x + 0.5 * relu(x)) = [2 * -1, 2 * (2 + 1)].
  const std::string scales =
      "{branch_scale = 5.0e-01 : f64, output_scale = 2.0 : f64}";
  Tensor y = runOne(identityResidual(scales, ""), {tensor({1, 2}, {-1, 2})});
  expectTensor(y, {1, 2}, {-2, 6});
}

TEST_F(StructureTest, ResidualAfterActivation) {
  const std::string scales =
      "{branch_scale = 5.0e-01 : f64, output_scale = 2.0 : f64}";
  // The activation applies to the scaled sum [-2, 6].
  expectTensor(
      runOne(identityResidual(scales, "after relu"), {tensor({1, 2}, {-1, 2})}),
      {1, 2}, {0, 6});
  expectTensor(
      runOne(identityResidual(scales, "after tanh"), {tensor({1, 2}, {-1, 2})}),
      {1, 2}, {std::tanh(-2.0f), std::tanh(6.0f)});
}

const char *kShortcut = R"mlir(
module {
  res.param @wf : tensor<2x1x1x1xf32>
  res.param @ws : tensor<2x1x1x1xf32>
  func.func @f(%x: tensor<?x1x1x2xf32>) -> tensor<?x2x1x2xf32> {
    %y = res.residual %x after relu {branch_scale = 5.0e-01 : f64} : tensor<?x1x1x2xf32> -> tensor<?x2x1x2xf32> branch {
    ^bb0(%a: tensor<?x1x1x2xf32>):
      %w = res.weight @wf : tensor<2x1x1x1xf32>
      %c = res.conv2d %a, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>} : (tensor<?x1x1x2xf32>, tensor<2x1x1x1xf32>) -> tensor<?x2x1x2xf32>
      res.yield %c : tensor<?x2x1x2xf32>
    } shortcut {
    ^bb0(%a: tensor<?x1x1x2xf32>):
      %w = res.weight @ws : tensor<2x1x1x1xf32>
      %c = res.conv2d %a, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>} : (tensor<?x1x1x2xf32>, tensor<2x1x1x1xf32>) -> tensor<?x2x1x2xf32>
      res.yield %c : tensor<?x2x1x2xf32>
    }
    return %y : tensor<?x2x1x2xf32>
  }
}
)mlir";

TEST_F(StructureTest, ResidualWithShortcutRegion) {
  // x = [-1, 2]; F = [[-1, 2], [-3, 6]] (weights 1, 3);
  // S = [[-10, 20], [10, -20]] (weights 10, -10);
  // relu(S + 0.5 F) = relu([[-10.5, 21], [8.5, -17]]).
  Tensor y = runOne(kShortcut, {tensor({1, 1, 1, 2}, {-1, 2})},
                    {{"wf", tensor({2, 1, 1, 1}, {1, 3})},
                     {"ws", tensor({2, 1, 1, 1}, {10, -10})}});
  expectTensor(y, {1, 2, 1, 2}, {0, 21, 8.5f, 0});
}

std::string tiedRepeat(int count) {
  return R"mlir(
module {
  res.param @w : tensor<2x2xf32> = dense<[[0.0, 1.0], [1.0, 0.0]]> : tensor<2x2xf32>
  res.param @b : tensor<2xf32> = dense<[1.0, 0.0]> : tensor<2xf32>
  func.func @f(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
    %y = res.repeat %x {count = )mlir" +
         std::to_string(count) + R"mlir( : i64} : tensor<?x2xf32> body {
    ^bb0(%a: tensor<?x2xf32>):
      %w = res.weight @w : tensor<2x2xf32>
      %b = res.weight @b : tensor<2xf32>
      %d = res.dense %a, %w, %b : (tensor<?x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<?x2xf32>
      res.yield %d : tensor<?x2xf32>
    }
    return %y : tensor<?x2xf32>
  }
}
)mlir";
}

TEST_F(StructureTest, TiedRepeatAppliesTheBodyCountTimes) {
  // The body maps [a, b] to [b + 1, a] with the same bound weights each
  // time: [5, 7] -> [8, 5] -> [6, 8] -> [9, 6].
  Tensor x = tensor({1, 2}, {5, 7});
  expectTensor(runOne(tiedRepeat(1), {x}), {1, 2}, {8, 5});
  expectTensor(runOne(tiedRepeat(2), {x}), {1, 2}, {6, 8});
  expectTensor(runOne(tiedRepeat(3), {x}), {1, 2}, {9, 6});
}

TEST_F(StructureTest, BoundValueWinsOverSuppliedParams) {
  resc::TensorMap params = {{"w", Tensor({2, 2}, 100.0f)}};
  expectTensor(runOne(tiedRepeat(1), {tensor({1, 2}, {5, 7})}, params), {1, 2},
               {8, 5});
}

TEST_F(StructureTest, RepeatOfResiduals) {
  // Each iteration is x + x, so four give 16 x.
  const char *ir = R"mlir(
module {
  func.func @f(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
    %y = res.repeat %x {count = 4 : i64} : tensor<?x2xf32> body {
    ^bb0(%a: tensor<?x2xf32>):
      %r = res.residual %a : tensor<?x2xf32> -> tensor<?x2xf32> branch {
      ^bb0(%b: tensor<?x2xf32>):
        %i = res.activation identity %b : tensor<?x2xf32>
        res.yield %i : tensor<?x2xf32>
      }
      res.yield %r : tensor<?x2xf32>
    }
    return %y : tensor<?x2xf32>
  }
}
)mlir";
  expectTensor(runOne(ir, {tensor({2, 2}, {1, -2, 0.5f, 3})}), {2, 2},
               {16, -32, 8, 48});
}

TEST_F(StructureTest, ManyNestedBlocks) {
  // 80 blocks of 0.5 * (x + x) inside a repeat, so the result is x; enough
  // regions that the interpreter's per-block tables grow while in use.
  std::string ir = R"mlir(
module {
  func.func @f(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
    %y = res.repeat %x {count = 2 : i64} : tensor<?x2xf32> body {
    ^bb0(%v0: tensor<?x2xf32>):
)mlir";
  const int blocks = 80;
  for (int i = 0; i < blocks; ++i)
    ir += "      %v" + std::to_string(i + 1) + " = res.residual %v" +
          std::to_string(i) +
          " {output_scale = 5.0e-01 : f64} : tensor<?x2xf32> -> "
          "tensor<?x2xf32> branch {\n      ^bb0(%a: tensor<?x2xf32>):\n"
          "        %i = res.activation identity %a : tensor<?x2xf32>\n"
          "        res.yield %i : tensor<?x2xf32>\n      }\n";
  ir += "      res.yield %v" + std::to_string(blocks) +
        " : tensor<?x2xf32>\n    }\n    return %y : tensor<?x2xf32>\n  }\n}\n";
  expectTensor(runOne(ir, {tensor({1, 2}, {3, -4})}), {1, 2}, {3, -4});
}

TEST_F(StructureTest, SplatAndResourceValues) {
  // The resource holds alignment 4, then 1.0f and 2.0f little-endian.
  const char *ir = R"mlir(
module {
  res.param @w : tensor<1x2xf32> = dense_resource<wblob> : tensor<1x2xf32>
  res.param @b : tensor<1xf32> = dense<0.5> : tensor<1xf32>
  func.func @f(%x: tensor<?x2xf32>) -> tensor<?x1xf32> {
    %w = res.weight @w : tensor<1x2xf32>
    %b = res.weight @b : tensor<1xf32>
    %y = res.dense %x, %w, %b : (tensor<?x2xf32>, tensor<1x2xf32>, tensor<1xf32>) -> tensor<?x1xf32>
    return %y : tensor<?x1xf32>
  }
}
{-#
  dialect_resources: {
    builtin: {
      wblob: "0x040000000000803F00000040"
    }
  }
#-}
)mlir";
  // 3 * 1 + 4 * 2 + 0.5.
  expectTensor(runOne(ir, {tensor({1, 2}, {3, 4})}), {1, 1}, {11.5f});
}

TEST_F(StructureTest, DynamicSpatialDims) {
  const char *ir = R"mlir(
module {
  res.param @w : tensor<1x1x3x3xf32>
  func.func @f(%x: tensor<?x1x?x?xf32>) -> tensor<?x1x?x?xf32> {
    %w = res.weight @w : tensor<1x1x3x3xf32>
    %y = res.conv2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x1x?x?xf32>, tensor<1x1x3x3xf32>) -> tensor<?x1x?x?xf32>
    return %y : tensor<?x1x?x?xf32>
  }
}
)mlir";
  resc::TensorMap params = {{"w", Tensor({1, 1, 3, 3}, 1.0f)}};
  // Box sums of 1..9 in 3x3, then of 1..8 in 2x4, where every window
  // covers both rows.
  expectTensor(runOne(ir, {iota({1, 1, 3, 3})}, params), {1, 1, 3, 3},
               {12, 21, 16, 27, 45, 33, 24, 39, 28});
  expectTensor(runOne(ir, {iota({1, 1, 2, 4})}, params), {1, 1, 2, 4},
               {14, 24, 30, 22, 14, 24, 30, 22});
}

TEST_F(StructureTest, SeveralOutputsAndAnEmptyBatch) {
  const char *ir = R"mlir(
module {
  func.func @f(%x: tensor<?x2xf32>) -> (tensor<?x2xf32>, tensor<?x2xf32>) {
    %y = res.activation relu %x : tensor<?x2xf32>
    return %y, %x : tensor<?x2xf32>, tensor<?x2xf32>
  }
}
)mlir";
  auto out = run(ir, {tensor({1, 2}, {-1, 1})});
  ASSERT_TRUE(succeeded(out)) << diagnostics;
  ASSERT_EQ(out->size(), 2u);
  expectTensor((*out)[0], {1, 2}, {0, 1});
  expectTensor((*out)[1], {1, 2}, {-1, 1});

  out = run(ir, {Tensor({0, 2})});
  ASSERT_TRUE(succeeded(out)) << diagnostics;
  expectTensor((*out)[0], {0, 2}, {});
}

TEST_F(StructureTest, WholeModelRuns) {
  // The shape of a small ResNet: every op kind in one function, with
  // parameters supplied at run time.
  const char *ir = R"mlir(
module {
  res.param @conv1.weight : tensor<4x3x3x3xf32>
  res.param @bn.weight : tensor<4xf32>
  res.param @bn.bias : tensor<4xf32>
  res.param @bn.running_mean : tensor<4xf32>
  res.param @bn.running_var : tensor<4xf32> {buffer}
  res.param @fc.weight : tensor<5x4xf32>
  res.param @fc.bias : tensor<5xf32>
  func.func @m(%arg0: tensor<?x3x8x8xf32> {res.name = "image"}) -> (tensor<?x5xf32> {res.name = "probs"}) {
    %0 = res.weight @conv1.weight : tensor<4x3x3x3xf32>
    %1 = res.conv2d %arg0, %0 {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "conv1", padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<?x4x8x8xf32>
    %2 = res.activation relu %1 : tensor<?x4x8x8xf32>
    %3 = res.residual %2 after relu {branch_scale = 1.000000e-01 : f64} : tensor<?x4x8x8xf32> -> tensor<?x4x8x8xf32> branch {
    ^bb0(%a: tensor<?x4x8x8xf32>):
      %w = res.weight @bn.weight : tensor<4xf32>
      %b = res.weight @bn.bias : tensor<4xf32>
      %m = res.weight @bn.running_mean : tensor<4xf32>
      %v = res.weight @bn.running_var : tensor<4xf32>
      %n = res.batch_norm %a, %w, %b, %m, %v {epsilon = 1.0e-05 : f64, momentum = 1.0e-01 : f64} : (tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
      res.yield %n : tensor<?x4x8x8xf32>
    }
    %4 = res.repeat %3 {count = 3 : i64} : tensor<?x4x8x8xf32> body {
    ^bb0(%a: tensor<?x4x8x8xf32>):
      %t = res.activation tanh %a : tensor<?x4x8x8xf32>
      res.yield %t : tensor<?x4x8x8xf32>
    }
    %5 = res.max_pool2d %4 {kernel = array<i64: 2, 2>, padding = array<i64: 0, 0>, stride = array<i64: 2, 2>} : (tensor<?x4x8x8xf32>) -> tensor<?x4x4x4xf32>
    %6 = res.global_avg_pool %5 : (tensor<?x4x4x4xf32>) -> tensor<?x4xf32>
    %7 = res.weight @fc.weight : tensor<5x4xf32>
    %8 = res.weight @fc.bias : tensor<5xf32>
    %9 = res.dense %6, %7, %8 : (tensor<?x4xf32>, tensor<5x4xf32>, tensor<5xf32>) -> tensor<?x5xf32>
    %10 = res.softmax %9 : tensor<?x5xf32>
    return %10 : tensor<?x5xf32>
  }
}
)mlir";
  resc::TensorMap params = {{"conv1.weight", iota({4, 3, 3, 3}, -0.5f, 0.01f)},
                            {"bn.weight", Tensor({4}, 1.0f)},
                            {"bn.bias", Tensor({4}, 0.0f)},
                            {"bn.running_mean", Tensor({4}, 0.0f)},
                            {"bn.running_var", Tensor({4}, 1.0f)},
                            {"fc.weight", iota({5, 4}, -1, 0.1f)},
                            {"fc.bias", Tensor({5}, 0.0f)}};
  Tensor y = runOne(ir, {iota({2, 3, 8, 8}, -1, 0.01f)}, params);
  ASSERT_EQ(y.shape, (std::vector<int64_t>{2, 5}));
  for (int b = 0; b < 2; ++b) {
    double sum = 0;
    for (int i = 0; i < 5; ++i)
      sum += y.data[b * 5 + i];
    EXPECT_NEAR(sum, 1.0, 1e-6);
  }
}

} // namespace
