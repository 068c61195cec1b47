// Bad inputs, parameters and run-time shapes give a diagnostic at the right
// place that names what is wrong, never a crash.
#include "InterpreterTestUtil.h"

using namespace res::testing;
using resc::Tensor;

namespace {

using ErrorsTest = InterpreterTest;

const char *kConvModel = R"mlir(
module {
  res.param @conv1.weight : tensor<2x3x1x1xf32> loc("model.res":2:3)
  func.func @m(%x: tensor<?x3x4x4xf32> {res.name = "image"}) -> tensor<?x2x4x4xf32> {
    %w = res.weight @conv1.weight : tensor<2x3x1x1xf32> loc("model.res":5:3)
    %y = res.conv2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "conv1", padding = array<i64: 0, 0>, stride = array<i64: 1, 1>} : (tensor<?x3x4x4xf32>, tensor<2x3x1x1xf32>) -> tensor<?x2x4x4xf32> loc("model.res":5:3)
    return %y : tensor<?x2x4x4xf32>
  } loc("model.res":3:1)
}
)mlir";

resc::TensorMap convParams() {
  return {{"conv1.weight", Tensor({2, 3, 1, 1}, 1.0f)}};
}

TEST_F(ErrorsTest, ValidBaseline) {
  Tensor y = runOne(kConvModel, {Tensor({1, 3, 4, 4}, 1.0f)}, convParams());
  EXPECT_EQ(y.shape, (std::vector<int64_t>{1, 2, 4, 4}));
}

TEST_F(ErrorsTest, MissingParameter) {
  expectError(kConvModel, {Tensor({1, 3, 4, 4})}, {},
              {"model.res:5:3", "missing parameter 'conv1.weight'",
               "[2, 3, 1, 1]", "model.res:2:3: note: declared here"});
}

TEST_F(ErrorsTest, ParameterOfTheWrongShape) {
  expectError(kConvModel, {Tensor({1, 3, 4, 4})},
              {{"conv1.weight", Tensor({2, 3, 3, 3})}},
              {"model.res:5:3", "'conv1.weight'", "[2, 3, 3, 3]",
               "expects [2, 3, 1, 1]"});
}

TEST_F(ErrorsTest, ParameterWithTooLittleData) {
  Tensor bad = Tensor({2, 3, 1, 1});
  bad.data.pop_back();
  expectError(kConvModel, {Tensor({1, 3, 4, 4})}, {{"conv1.weight", bad}},
              {"'conv1.weight'", "5 elements"});
}

TEST_F(ErrorsTest, InputOfTheWrongShape) {
  expectError(kConvModel, {Tensor({1, 3, 5, 4})}, convParams(),
              {"model.res:3:1", "input #0 'image'", "[1, 3, 5, 4]",
               "tensor<?x3x4x4xf32>"});
}

TEST_F(ErrorsTest, InputOfTheWrongRank) {
  expectError(kConvModel, {Tensor({3, 4, 4})}, convParams(),
              {"input #0 'image'", "[3, 4, 4]"});
}

TEST_F(ErrorsTest, WrongNumberOfInputs) {
  expectError(kConvModel, {}, convParams(), {"takes 1 input, got 0"});
  expectError(kConvModel, {Tensor({1, 3, 4, 4}), Tensor({1, 3, 4, 4})},
              convParams(), {"takes 1 input, got 2"});
}

TEST_F(ErrorsTest, InputWithInconsistentData) {
  Tensor bad = Tensor({1, 3, 4, 4});
  bad.data.resize(7);
  expectError(kConvModel, {bad}, convParams(),
              {"input #0 'image'", "but 7 elements"});
}

TEST_F(ErrorsTest, DynamicChannelsThatDoNotFitTheWeight) {
  const char *ir = R"mlir(
module {
  res.param @w : tensor<1x2x1x1xf32>
  func.func @m(%x: tensor<?x?x2x2xf32>) -> tensor<?x1x2x2xf32> {
    %w = res.weight @w : tensor<1x2x1x1xf32>
    %y = res.conv2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "stem", padding = array<i64: 0, 0>, stride = array<i64: 1, 1>} : (tensor<?x?x2x2xf32>, tensor<1x2x1x1xf32>) -> tensor<?x1x2x2xf32> loc("m.res":7:9)
    return %y : tensor<?x1x2x2xf32>
  }
}
)mlir";
  expectError(ir, {Tensor({1, 3, 2, 2})}, {{"w", Tensor({1, 2, 1, 1})}},
              {"m.res:7:9", "'res.conv2d' op", "has 3 channels", "expects 2",
               "(layer 'stem')"});
}

TEST_F(ErrorsTest, WindowThatDoesNotFitAtRunTime) {
  const char *ir = R"mlir(
module {
  func.func @m(%x: tensor<?x1x?x?xf32>) -> tensor<?x1x?x?xf32> {
    %y = res.max_pool2d %x {kernel = array<i64: 2, 2>, padding = array<i64: 0, 0>, stride = array<i64: 2, 2>} : (tensor<?x1x?x?xf32>) -> tensor<?x1x?x?xf32>
    return %y : tensor<?x1x?x?xf32>
  }
}
)mlir";
  expectError(ir, {Tensor({1, 1, 1, 4})}, {}, {"does not fit", "[1, 1, 1, 4]"});
}

TEST_F(ErrorsTest, AddOfDifferentRunTimeShapes) {
  const char *ir = R"mlir(
module {
  func.func @m(%a: tensor<?x?xf32>, %b: tensor<?x?xf32>) -> tensor<?x?xf32> {
    %y = res.add %a, %b : tensor<?x?xf32>, tensor<?x?xf32>
    return %y : tensor<?x?xf32>
  }
}
)mlir";
  expectError(ir, {Tensor({1, 2}), Tensor({1, 3})}, {},
              {"'res.add' op", "cannot add [1, 3] to [1, 2]"});
}

TEST_F(ErrorsTest, RepeatBodyThatChangesTheShape) {
  const char *ir = R"mlir(
module {
  func.func @m(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
    %y = res.repeat %x {count = 2 : i64} : tensor<?x?xf32> body {
    ^bb0(%a: tensor<?x?xf32>):
      %c = res.concat %a, %a : (tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?x?xf32>
      res.yield %c : tensor<?x?xf32>
    }
    return %y : tensor<?x?xf32>
  }
}
)mlir";
  expectError(ir, {Tensor({1, 2})}, {},
              {"'res.repeat' op", "iteration 0", "[1, 2] into [1, 4]"});
}

TEST_F(ErrorsTest, NegativeRepeatCount) {
  // The verifier reads the count unsigned, so -1 may get this far.
  const char *ir = R"mlir(
module {
  func.func @m(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
    %y = res.repeat %x {count = -1 : i64} : tensor<?x2xf32> body {
    ^bb0(%a: tensor<?x2xf32>):
      res.yield %a : tensor<?x2xf32>
    }
    return %y : tensor<?x2xf32>
  }
}
)mlir";
  // Parsed unverified so that the test holds whether the verifier or the
  // interpreter rejects it.
  auto out = run(ir, {Tensor({1, 2})}, {}, /*verify=*/false);
  EXPECT_TRUE(failed(out));
  EXPECT_NE(diagnostics.find("count must be at least 1"), std::string::npos)
      << diagnostics;
}

TEST_F(ErrorsTest, UnsupportedOp) {
  context.allowUnregisteredDialects();
  const char *ir = R"mlir(
module {
  func.func @m(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
    %y = "test.mystery"(%x) : (tensor<?x2xf32>) -> tensor<?x2xf32> loc("q.res":4:5)
    return %y : tensor<?x2xf32>
  }
}
)mlir";
  expectError(ir, {Tensor({1, 2})}, {},
              {"q.res:4:5", "'test.mystery' op is not supported"});
}

TEST_F(ErrorsTest, ResourceOfTheWrongSize) {
  const char *ir = R"mlir(
module {
  res.param @w : tensor<1x2xf32> = dense_resource<short> : tensor<1x2xf32>
  func.func @m(%x: tensor<?x2xf32>) -> tensor<?x1xf32> {
    %w = res.weight @w : tensor<1x2xf32>
    %y = res.dense %x, %w : (tensor<?x2xf32>, tensor<1x2xf32>) -> tensor<?x1xf32>
    return %y : tensor<?x1xf32>
  }
}
{-#
  dialect_resources: {
    builtin: {
      short: "0x040000000000803F"
    }
  }
#-}
)mlir";
  expectError(ir, {Tensor({1, 2})}, {},
              {"parameter 'w' cannot be read", "4 bytes, expected 8"});
}

TEST_F(ErrorsTest, ResourceWithoutData) {
  const char *ir = R"mlir(
module {
  res.param @w : tensor<1x2xf32> = dense_resource<nowhere> : tensor<1x2xf32>
  func.func @m(%x: tensor<?x2xf32>) -> tensor<?x1xf32> {
    %w = res.weight @w : tensor<1x2xf32>
    %y = res.dense %x, %w : (tensor<?x2xf32>, tensor<1x2xf32>) -> tensor<?x1xf32>
    return %y : tensor<?x1xf32>
  }
}
)mlir";
  expectError(ir, {Tensor({1, 2})}, {},
              {"parameter 'w' cannot be read", "'nowhere' has no data"});
}

} // namespace
