// The bounds behind res-lipschitz and res-prune-identity: certified norms
// must never be below the true value, and per-op Lipschitz bounds must hold
// for the operator the interpreter actually computes (built explicitly,
// column by column, on small inputs).
#include "PassTestUtil.h"

#include "compiler/interpreter/Interpreter.h"
#include "compiler/passes/LipschitzBound.h"
#include "compiler/passes/OperatorNorm.h"
#include "dialect/ResDialect.h"
#include "resc/Random.h"

#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace mlir;

namespace res::testing {
namespace {

/// ||M||_2 by a long power iteration: accurate for the small matrices here.
double spectralNorm(const std::vector<double> &m, int64_t rows, int64_t cols) {
  return spectralNormBounds(m, rows, cols, 20000, /*budget=*/0).lower;
}

std::vector<double> randomMatrix(int64_t rows, int64_t cols, uint64_t seed) {
  resc::Random rng(seed, "matrix");
  std::vector<double> m(rows * cols);
  for (double &v : m)
    v = rng.normal();
  return m;
}

TEST(OperatorNormTest, BoundsEncloseTheNorm) {
  for (auto [rows, cols] : std::vector<std::pair<int64_t, int64_t>>{
           {1, 1}, {7, 13}, {20, 5}, {30, 30}, {64, 9}, {3, 200}}) {
    auto m = randomMatrix(rows, cols, rows * 1000 + cols);
    double truth = spectralNorm(m, rows, cols);
    NormBounds b = spectralNormBounds(m, rows, cols, 100);
    EXPECT_LE(b.lower, truth * (1 + 1e-12)) << rows << "x" << cols;
    EXPECT_GE(b.upper, truth) << rows << "x" << cols << " by " << b.upperBy;
    // Small matrices get the gram-trace bound, which is tight here (for
    // 1x1 Frobenius is exact already).
    if (rows * cols > 1)
      EXPECT_STREQ(b.upperBy, "gram-trace");
    EXPECT_LE(b.upper, truth * 1.1) << rows << "x" << cols;
    EXPECT_GE(b.lower, truth * 0.99) << rows << "x" << cols;
  }
}

TEST(OperatorNormTest, FallsBackWithinTheBudget) {
  auto m = randomMatrix(40, 50, 3);
  double truth = spectralNorm(m, 40, 50);
  NormBounds b = spectralNormBounds(m, 40, 50, 50, /*budget=*/10);
  EXPECT_STRNE(b.upperBy, "gram-trace");
  EXPECT_GE(b.upper, truth);
}

TEST(OperatorNormTest, DiagonalAndZero) {
  NormBounds d = spectralNormBounds({3, 0, 0, -4}, 2, 2, 50);
  EXPECT_NEAR(d.upper, 4, 1e-6);
  EXPECT_NEAR(d.lower, 4, 1e-6);
  NormBounds z = spectralNormBounds({0, 0, 0, 0, 0, 0}, 2, 3, 50);
  EXPECT_EQ(z.upper, 0);
  EXPECT_EQ(z.lower, 0);
}

/// One op from `body` (IR of a function of %x), its parameters bound to
/// random values; checks the op's bound against the explicit operator.
class OpBoundTest : public ::testing::Test {
protected:
  /// `ir` is a module whose function maps one 4-D input linearly (for
  /// linear ops) to one output. Returns ||operator||_2 and the bound.
  std::pair<double, double> check(const std::string &ir) {
    QuietContext context;
    auto module = parseSourceString<ModuleOp>(ir, &context.get());
    EXPECT_TRUE(module);
    if (!module)
      return {0, 0};
    bindValues(*module, randomWeights(*module, 5, [](resc::TensorMap &values) {
      // Linear ops only: no bias in the explicit matrix.
      for (auto &[name, t] : values)
        if (llvm::StringRef(name).ends_with("bias"))
          std::fill(t.data.begin(), t.data.end(), 0.0f);
    }));
    func::FuncOp fn = modelFunction(*module);
    auto type = cast<RankedTensorType>(fn.getArgument(0).getType());
    std::vector<int64_t> shape(type.getShape().begin(), type.getShape().end());
    shape[0] = 1;
    resc::Tensor basis(shape, 0.0f);
    // Column j of the operator is its output for the j-th unit input.
    std::vector<std::vector<float>> columns;
    for (int64_t j = 0; j < basis.numel(); ++j) {
      basis.data.assign(basis.numel(), 0.0f);
      basis.data[j] = 1.0f;
      auto out = interpret(*module, {basis});
      columns.push_back(out.empty() ? std::vector<float>{} : out[0].data);
    }
    int64_t rows = columns.front().size(), cols = columns.size();
    std::vector<double> m(rows * cols);
    for (int64_t c = 0; c < cols; ++c)
      for (int64_t r = 0; r < rows; ++r)
        m[r * cols + c] = columns[c][r];
    double truth = spectralNorm(m, rows, cols);

    LipschitzAnalysis analysis;
    double bound = analysis.regionBound(fn.getBody());
    return {truth, bound};
  }
};

std::string convModule(int cin, int cout, int k, int stride, int pad,
                       int dilation, int groups, int size) {
  int out = (size + 2 * pad - dilation * (k - 1) - 1) / stride + 1;
  auto t = [](int c, int h) {
    return "tensor<?x" + std::to_string(c) + "x" + std::to_string(h) + "x" +
           std::to_string(h) + "xf32>";
  };
  std::string w = "tensor<" + std::to_string(cout) + "x" +
                  std::to_string(cin / groups) + "x" + std::to_string(k) + "x" +
                  std::to_string(k) + "xf32>";
  return "res.param @c.weight : " + w + "\nfunc.func @f(%x: " + t(cin, size) +
         ") -> " + t(cout, out) + " {\n  %w = res.weight @c.weight : " + w +
         "\n  %y = res.conv2d %x, %w {dilation = array<i64: " +
         std::to_string(dilation) + ", " + std::to_string(dilation) +
         ">, groups = " + std::to_string(groups) +
         " : i64, padding = array<i64: " + std::to_string(pad) + ", " +
         std::to_string(pad) +
         ">, stride = array<i64: " + std::to_string(stride) + ", " +
         std::to_string(stride) + ">} : (" + t(cin, size) + ", " + w + ") -> " +
         t(cout, out) + "\n  return %y : " + t(cout, out) + "\n}\n";
}

TEST_F(OpBoundTest, Convolutions) {
  struct Case {
    int cin, cout, k, stride, pad, dilation, groups, size;
  };
  for (Case c : std::vector<Case>{{2, 3, 3, 1, 1, 1, 1, 6},
                                  {2, 3, 3, 2, 1, 1, 1, 7},
                                  {2, 2, 3, 1, 2, 2, 1, 6},
                                  {2, 3, 3, 2, 2, 2, 1, 7},
                                  {4, 4, 3, 1, 1, 1, 2, 5},
                                  {3, 2, 1, 2, 0, 1, 1, 6},
                                  {1, 1, 5, 3, 2, 1, 1, 9}}) {
    auto [truth, bound] = check(convModule(c.cin, c.cout, c.k, c.stride, c.pad,
                                           c.dilation, c.groups, c.size));
    EXPECT_GT(truth, 0);
    EXPECT_GE(bound, truth) << "conv k" << c.k << " s" << c.stride << " d"
                            << c.dilation << " g" << c.groups;
  }
}

TEST_F(OpBoundTest, PoolingAndUpsampling) {
  auto [avgTruth, avgBound] = check(R"(
func.func @f(%x: tensor<?x1x6x6xf32>) -> tensor<?x1x6x6xf32> {
  %y = res.avg_pool2d %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>} : (tensor<?x1x6x6xf32>) -> tensor<?x1x6x6xf32>
  return %y : tensor<?x1x6x6xf32>
})");
  EXPECT_GE(avgBound, avgTruth);
  auto [gapTruth, gapBound] = check(R"(
func.func @f(%x: tensor<?x2x3x3xf32>) -> tensor<?x2xf32> {
  %y = res.global_avg_pool %x : (tensor<?x2x3x3xf32>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
})");
  EXPECT_NEAR(gapBound, gapTruth, 1e-6); // 1/3, exactly
  auto [upTruth, upBound] = check(R"(
func.func @f(%x: tensor<?x1x2x2xf32>) -> tensor<?x1x6x6xf32> {
  %y = res.upsample %x {factor = 3 : i64} : (tensor<?x1x2x2xf32>) -> tensor<?x1x6x6xf32>
  return %y : tensor<?x1x6x6xf32>
})");
  EXPECT_NEAR(upBound, upTruth, 1e-6); // 3, exactly
}

// A layer scale is diagonal: its bound max |s| is its operator norm.
TEST_F(OpBoundTest, ChannelScale) {
  auto [imageTruth, imageBound] = check(R"(
res.param @ls : tensor<3x1x1xf32>
func.func @f(%x: tensor<?x3x2x2xf32>) -> tensor<?x3x2x2xf32> {
  %s = res.weight @ls : tensor<3x1x1xf32>
  %y = res.channel_scale %x, %s {init = 1.0e-6 : f64} : (tensor<?x3x2x2xf32>, tensor<3x1x1xf32>) -> tensor<?x3x2x2xf32>
  return %y : tensor<?x3x2x2xf32>
})");
  EXPECT_NEAR(imageBound, imageTruth, 1e-6);
  auto [vectorTruth, vectorBound] = check(R"(
res.param @ls : tensor<5xf32>
func.func @f(%x: tensor<?x5xf32>) -> tensor<?x5xf32> {
  %s = res.weight @ls : tensor<5xf32>
  %y = res.channel_scale %x, %s {init = 1.0e-6 : f64} : (tensor<?x5xf32>, tensor<5xf32>) -> tensor<?x5xf32>
  return %y : tensor<?x5xf32>
})");
  EXPECT_NEAR(vectorBound, vectorTruth, 1e-6);
}

/// Max pooling is not linear: random pairs of inputs must not move the
/// output by more than the bound times the input distance.
TEST(NonlinearBoundTest, MaxPoolAndActivationsHoldOnRandomPairs) {
  QuietContext context;
  auto module = parseSourceString<ModuleOp>(R"(
func.func @f(%x: tensor<?x1x5x5xf32>) -> tensor<?x1x3x3xf32> {
  %g = res.activation gelu %x : tensor<?x1x5x5xf32>
  %y = res.max_pool2d %g {kernel = array<i64: 3, 3>, stride = array<i64: 2, 2>, padding = array<i64: 1, 1>} : (tensor<?x1x5x5xf32>) -> tensor<?x1x3x3xf32>
  return %y : tensor<?x1x3x3xf32>
})",
                                            &context.get());
  ASSERT_TRUE(module);
  func::FuncOp fn = modelFunction(*module);
  double bound = LipschitzAnalysis().regionBound(fn.getBody());
  EXPECT_NEAR(bound, 2 * 1.13, 1e-9);
  resc::Random rng(1, "pairs");
  double worst = 0;
  for (int trial = 0; trial < 2000; ++trial) {
    resc::Tensor a({1, 1, 5, 5}), b({1, 1, 5, 5});
    for (int64_t i = 0; i < a.numel(); ++i) {
      a.data[i] = static_cast<float>(2 * rng.normal());
      // Small moves of one shared pixel show the window overlap.
      b.data[i] = a.data[i] + static_cast<float>(0.01 * rng.normal());
    }
    auto fa = interpret(*module, {a}), fb = interpret(*module, {b});
    double dy = 0, dx = 0;
    for (int64_t i = 0; i < fa[0].numel(); ++i)
      dy += std::pow(double(fa[0].data[i]) - fb[0].data[i], 2);
    for (int64_t i = 0; i < a.numel(); ++i)
      dx += std::pow(double(a.data[i]) - b.data[i], 2);
    worst = std::max(worst, std::sqrt(dy / dx));
  }
  EXPECT_LE(worst, bound);
  EXPECT_GT(worst, 0.5);
}

/// The network bound holds for a whole example on random input pairs, and
/// the product over blocks is the product of the block rows.
TEST(NetworkBoundTest, TiedOdeBoundHolds) {
  QuietContext context;
  auto module = compileExample(context.get(), "tied_ode");
  ASSERT_TRUE(module);
  bindValues(*module, randomWeights(*module, 3));
  ModelLipschitz model = computeLipschitz(modelFunction(*module));
  ASSERT_EQ(model.blocks.size(), 1u);
  EXPECT_EQ(model.blocks[0].applications, 12);
  EXPECT_NEAR(model.blockProduct, std::pow(model.blocks[0].total, 12),
              1e-9 * model.blockProduct);
  EXPECT_TRUE(model.unknown.empty());
  auto x = seededInputs(modelFunction(*module), 1);
  auto y = x;
  for (float &v : y[0].data)
    v += 0.01f;
  auto fx = interpret(*module, x), fy = interpret(*module, y);
  double dy = 0, dx = 0.01 * 0.01 * x[0].numel();
  for (int64_t i = 0; i < fx[0].numel(); ++i)
    dy += std::pow(double(fx[0].data[i]) - fy[0].data[i], 2);
  EXPECT_LE(std::sqrt(dy / dx), model.network);
}

} // namespace
} // namespace res::testing
