// Unit tests of ResWeights: collecting parameters, binding safetensors with
// the exact messages of docs/weights.md ("Binding weights to a model"), and
// its seeded initialisation rule (statistics, determinism, order
// independence).
#include "compiler/weights/InitWeights.h"
#include "compiler/weights/ParamBinding.h"

#include "dialect/ResDialect.h"

#include "resc/Random.h"
#include "resc/Safetensors.h"

#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

using namespace res;

namespace {

/// A conv (3x3, 16 -> 32, with bias), a batch norm and a dense layer (512 ->
/// 10) inside a residual block; the parameters of `extra` are prepended so
/// tests can change declaration order and the set of parameters.
std::string modelText(const std::string &extra = "") {
  return extra + R"mlir(
  res.param @conv.weight : tensor<32x16x3x3xf32>
  res.param @conv.bias : tensor<32xf32>
  res.param @bn.weight : tensor<32xf32>
  res.param @bn.bias : tensor<32xf32>
  res.param @bn.running_mean : tensor<32xf32> {buffer}
  res.param @bn.running_var : tensor<32xf32> {buffer}
  res.param @fc.weight : tensor<10x512xf32>
  res.param @fc.bias : tensor<10xf32>
  func.func @m(%x: tensor<?x16x4x4xf32>) -> tensor<?x10xf32> {
    %r = res.residual %x {layer = "blk"} : tensor<?x16x4x4xf32> -> tensor<?x32x4x4xf32> branch {
    ^bb0(%a: tensor<?x16x4x4xf32>):
      %w = res.weight @conv.weight : tensor<32x16x3x3xf32>
      %b = res.weight @conv.bias : tensor<32xf32>
      %c = res.conv2d %a, %w, %b {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x16x4x4xf32>, tensor<32x16x3x3xf32>, tensor<32xf32>) -> tensor<?x32x4x4xf32>
      %g = res.weight @bn.weight : tensor<32xf32>
      %h = res.weight @bn.bias : tensor<32xf32>
      %m = res.weight @bn.running_mean : tensor<32xf32>
      %v = res.weight @bn.running_var : tensor<32xf32>
      %n = res.batch_norm %c, %g, %h, %m, %v {epsilon = 1.0e-05 : f64, momentum = 0.1 : f64} : (tensor<?x32x4x4xf32>, tensor<32xf32>, tensor<32xf32>, tensor<32xf32>, tensor<32xf32>) -> tensor<?x32x4x4xf32>
      res.yield %n : tensor<?x32x4x4xf32>
    } shortcut {
    ^bb0(%a: tensor<?x16x4x4xf32>):
      %z = res.concat %a, %a : (tensor<?x16x4x4xf32>, tensor<?x16x4x4xf32>) -> tensor<?x32x4x4xf32>
      res.yield %z : tensor<?x32x4x4xf32>
    }
    %f = res.flatten %r : (tensor<?x32x4x4xf32>) -> tensor<?x512xf32>
    %fw = res.weight @fc.weight : tensor<10x512xf32>
    %fb = res.weight @fc.bias : tensor<10xf32>
    %y = res.dense %f, %fw, %fb : (tensor<?x512xf32>, tensor<10x512xf32>, tensor<10xf32>) -> tensor<?x10xf32>
    return %y : tensor<?x10xf32>
  }
)mlir";
}

class WeightsTest : public ::testing::Test {
protected:
  WeightsTest() { context.loadDialect<ResDialect, mlir::func::FuncDialect>(); }

  mlir::OwningOpRef<mlir::ModuleOp> parse(const std::string &text) {
    auto module = mlir::parseSourceString<mlir::ModuleOp>(text, &context);
    EXPECT_TRUE(module) << "test model does not parse";
    return module;
  }

  mlir::MLIRContext context;
};

double sampleStd(const std::vector<float> &data, double *meanOut = nullptr) {
  double sum = 0, sq = 0;
  for (float v : data)
    sum += v;
  double mean = sum / data.size();
  for (float v : data)
    sq += (v - mean) * (v - mean);
  if (meanOut)
    *meanOut = mean;
  return std::sqrt(sq / (data.size() - 1));
}

TEST_F(WeightsTest, CollectsParamsInDeclarationOrder) {
  auto module = parse(modelText("res.param @k : tensor<2xf32> = dense<1.0> : "
                                "tensor<2xf32>\n"));
  auto params = collectParams(*module);
  ASSERT_EQ(params.size(), 9u);
  EXPECT_EQ(params[0].name, "k");
  EXPECT_TRUE(params[0].bound);
  EXPECT_EQ(params[1].name, "conv.weight");
  EXPECT_EQ(params[1].shape, (std::vector<int64_t>{32, 16, 3, 3}));
  EXPECT_EQ(params[1].numel(), 32 * 16 * 9);
  EXPECT_FALSE(params[1].bound);
  EXPECT_FALSE(params[1].buffer);
  EXPECT_TRUE(params[5].buffer); // bn.running_mean
}

/// A file holding every parameter of modelText() with the right shape.
resc::TensorMap completeFile() {
  resc::TensorMap file;
  file["conv.weight"] = resc::Tensor({32, 16, 3, 3}, 0.5f);
  file["conv.bias"] = resc::Tensor({32});
  for (const char *name :
       {"bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"})
    file[name] = resc::Tensor({32});
  file["fc.weight"] = resc::Tensor({10, 512});
  file["fc.bias"] = resc::Tensor({10});
  return file;
}

TEST_F(WeightsTest, BindsAndIgnoresBatchCounters) {
  auto module = parse(modelText());
  resc::TensorMap file = completeFile();
  file["bn.num_batches_tracked"] = resc::Tensor(std::vector<int64_t>{});
  resc::TensorMap out;
  auto result =
      bindParams(collectParams(*module), file,
                 {{"bn2.num_batches_tracked", "I64"}}, "w.safetensors", out);
  EXPECT_TRUE(result.ok());
  EXPECT_EQ(out.size(), 8u);
  EXPECT_EQ(out["conv.weight"].data[5], 0.5f);
  EXPECT_EQ(result.ignoredKeys,
            (std::vector<std::string>{"bn.num_batches_tracked",
                                      "bn2.num_batches_tracked"}));
}

// PyTorch's load_state_dict(strict=True): a tensor the model does not have
// (a bias the model lacks would otherwise load silently) fails the load.
TEST_F(WeightsTest, ExtraTensorFailsStrictLoad) {
  auto module = parse(modelText());
  resc::TensorMap file = completeFile();
  file["head.bias"] = resc::Tensor({10});
  resc::TensorMap out;
  auto result = bindParams(collectParams(*module), file, {{"extra", "I64"}},
                           "w.safetensors", out);
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0],
            "w.safetensors: 2 tensors of the file are not parameters of the "
            "model: 'extra', 'head.bias'; --non-strict ignores them");
  EXPECT_TRUE(out.empty());
}

TEST_F(WeightsTest, NonStrictLoadIgnoresExtraTensors) {
  auto module = parse(modelText());
  resc::TensorMap file = completeFile();
  file["head.bias"] = resc::Tensor({10});
  resc::TensorMap out;
  auto result = bindParams(collectParams(*module), file, {{"extra", "I64"}},
                           "w.safetensors", out, /*strict=*/false);
  EXPECT_TRUE(result.ok());
  EXPECT_EQ(out.size(), 8u);
  EXPECT_EQ(result.ignoredKeys,
            (std::vector<std::string>{"extra", "head.bias"}));
}

TEST_F(WeightsTest, MostParametersMissingSuggestsAnotherModel) {
  auto module = parse(modelText());
  resc::TensorMap out;
  resc::TensorMap some;
  some["fc.bias"] = resc::Tensor({10});
  auto result = bindParams(collectParams(*module), some, {}, "w.safetensors",
                           out, /*strict=*/false);
  ASSERT_EQ(result.errors.size(), 8u);
  EXPECT_EQ(result.errors[0], "w.safetensors: 1 of the model's 8 parameters "
                              "are in this file: weights of another model?");
  resc::TensorMap other;
  other["encoder.weight"] = resc::Tensor({3});
  result = bindParams(collectParams(*module), other, {}, "w.safetensors", out);
  ASSERT_EQ(result.errors.size(), 10u);
  EXPECT_EQ(result.errors[0], "w.safetensors: none of the model's 8 "
                              "parameters are in this file: weights of "
                              "another model?");
  EXPECT_EQ(result.errors.back(),
            "w.safetensors: 1 tensor of the file is not a parameter of the "
            "model: 'encoder.weight'; --non-strict ignores them");
}

TEST_F(WeightsTest, WrongShapeNamesKeyAndBothShapes) {
  auto module = parse(modelText());
  resc::TensorMap file = completeFile();
  file["conv.weight"] = resc::Tensor({32, 16, 1, 1});
  resc::TensorMap out;
  auto result =
      bindParams(collectParams(*module), file, {}, "weights.safetensors", out);
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0],
            "weights.safetensors: parameter 'conv.weight' has shape "
            "[32, 16, 3, 3] in the model but [32, 16, 1, 1] in the file");
}

TEST_F(WeightsTest, MissingKeyAndWrongDtypeAreAllReported) {
  auto module = parse(modelText());
  resc::TensorMap file = completeFile();
  file.erase("fc.bias");
  file.erase("bn.weight");
  resc::TensorMap out;
  auto result = bindParams(collectParams(*module), file, {{"bn.weight", "F16"}},
                           "w.safetensors", out);
  ASSERT_EQ(result.errors.size(), 2u);
  EXPECT_EQ(result.errors[0], "w.safetensors: parameter 'bn.weight' has dtype "
                              "F16 in the file, expected F32 (shape [32] in "
                              "the model)");
  EXPECT_EQ(result.errors[1], "w.safetensors: parameter 'fc.bias' with shape "
                              "[10] in the model is missing from the file");
}

TEST_F(WeightsTest, BoundParamsNeedNoKey) {
  auto module = parse(modelText("res.param @k : tensor<2xf32> = dense<[1.0, "
                                "2.0]> : tensor<2xf32>\n"));
  resc::TensorMap file = completeFile();
  resc::TensorMap out;
  EXPECT_TRUE(bindParams(collectParams(*module), file, {}, "w", out).ok());
  EXPECT_FALSE(out.count("k"));
}

TEST_F(WeightsTest, BindsFromFileAndReportsUnreadableFiles) {
  auto module = parse(modelText());
  std::string path = ::testing::TempDir() + "cli_weights_test.safetensors";
  std::string error;
  ASSERT_TRUE(resc::writeSafetensors(path, completeFile(), error)) << error;
  resc::TensorMap out;
  EXPECT_TRUE(bindParamsFromFile(collectParams(*module), path, out).ok());
  EXPECT_EQ(out.size(), 8u);
  std::remove(path.c_str());
  auto missing = bindParamsFromFile(collectParams(*module), path, out);
  ASSERT_EQ(missing.errors.size(), 1u);
  EXPECT_NE(missing.errors[0].find(path), std::string::npos)
      << missing.errors[0];
}

TEST_F(WeightsTest, InfersRolesFromTheUsingOperand) {
  auto module = parse(modelText("res.param @unused : tensor<4x6xf32>\n"));
  std::map<std::string, ParamRole> roles;
  std::string error;
  ASSERT_TRUE(inferParamRoles(*module, roles, error)) << error;
  EXPECT_EQ(roles["conv.weight"], ParamRole::ConvWeight);
  EXPECT_EQ(roles["conv.bias"], ParamRole::Bias);
  EXPECT_EQ(roles["bn.weight"], ParamRole::NormWeight);
  EXPECT_EQ(roles["bn.bias"], ParamRole::NormBias);
  EXPECT_EQ(roles["bn.running_mean"], ParamRole::RunningMean);
  EXPECT_EQ(roles["bn.running_var"], ParamRole::RunningVar);
  EXPECT_EQ(roles["fc.weight"], ParamRole::DenseWeight);
  EXPECT_EQ(roles["fc.bias"], ParamRole::Bias);
  EXPECT_EQ(roles["unused"], ParamRole::Unused);
}

TEST_F(WeightsTest, ConflictingRolesAreAnError) {
  auto module = parse(R"mlir(
  res.param @p : tensor<4xf32>
  func.func @m(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
    %p = res.weight @p : tensor<4xf32>
    %y = res.batch_norm %x, %p, %p, %p, %p {epsilon = 1.0e-05 : f64, momentum = 0.1 : f64} : (tensor<?x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
    return %y : tensor<?x4xf32>
  }
)mlir");
  resc::TensorMap out;
  std::string error;
  EXPECT_FALSE(initParams(*module, 0, out, error));
  EXPECT_EQ(error, "parameter 'p' is used both as a norm weight and as "
                   "a norm bias; seeded initialisation cannot serve "
                   "both (give --weights)");
}

TEST_F(WeightsTest, HeStatisticsAndConstants) {
  auto module = parse(modelText());
  resc::TensorMap out;
  std::string error;
  ASSERT_TRUE(initParams(*module, 42, out, error)) << error;
  ASSERT_EQ(out.size(), 8u);

  double mean = 0;
  double convStd = sampleStd(out["conv.weight"].data, &mean);
  double expected = std::sqrt(2.0 / (16 * 3 * 3));
  EXPECT_NEAR(convStd, expected, 0.05 * expected);
  EXPECT_NEAR(mean, 0.0, 0.1 * expected);
  double fcStd = sampleStd(out["fc.weight"].data);
  EXPECT_NEAR(fcStd, std::sqrt(2.0 / 512), 0.05 * std::sqrt(2.0 / 512));

  auto all = [](const resc::Tensor &t, float v) {
    return std::all_of(t.data.begin(), t.data.end(),
                       [v](float x) { return x == v; });
  };
  EXPECT_TRUE(all(out["conv.bias"], 0.0f));
  EXPECT_TRUE(all(out["fc.bias"], 0.0f));
  EXPECT_TRUE(all(out["bn.weight"], 1.0f));
  EXPECT_TRUE(all(out["bn.bias"], 0.0f));
  EXPECT_TRUE(all(out["bn.running_mean"], 0.0f));
  EXPECT_TRUE(all(out["bn.running_var"], 1.0f));
  EXPECT_EQ(out["bn.running_var"].shape, (std::vector<int64_t>{32}));
}

TEST_F(WeightsTest, ValuesFollowTheDocumentedStream) {
  // docs/weights.md: element i (C order) is float(std * normal_i) of
  // resc::Random(seed, name), normal_i its i-th normal() draw.
  auto module = parse(modelText());
  resc::TensorMap out;
  std::string error;
  ASSERT_TRUE(initParams(*module, 7, out, error)) << error;
  resc::Random random(7, "fc.weight");
  double std = std::sqrt(2.0 / 512);
  for (int i = 0; i < 100; ++i)
    ASSERT_EQ(out["fc.weight"].data[i],
              static_cast<float>(std * random.normal()))
        << "element " << i;
  resc::Random input(7, "input:image");
  resc::Tensor x = seededInput("image", {2, 3}, 7);
  for (float v : x.data)
    EXPECT_EQ(v, static_cast<float>(input.normal()));
}

TEST_F(WeightsTest, DeterministicAndIndependentOfOrder) {
  auto a = parse(modelText());
  // Same parameters plus others, declared first: every shared name must
  // get the same values.
  auto b = parse(modelText("res.param @aaa : tensor<8x8xf32>\n"
                           "res.param @zzz : tensor<3x3x3x3xf32>\n"));
  resc::TensorMap ta, ta2, tb, tc;
  std::string error;
  ASSERT_TRUE(initParams(*a, 3, ta, error)) << error;
  ASSERT_TRUE(initParams(*a, 3, ta2, error)) << error;
  ASSERT_TRUE(initParams(*b, 3, tb, error)) << error;
  ASSERT_TRUE(initParams(*a, 4, tc, error)) << error;
  for (const auto &[name, tensor] : ta) {
    EXPECT_EQ(tensor.data, ta2[name].data) << name;
    EXPECT_EQ(tensor.data, tb[name].data) << name;
  }
  EXPECT_NE(ta["conv.weight"].data, tc["conv.weight"].data);
  // Two weights of one shape get different streams.
  EXPECT_NE(tb["aaa"].data[0], tb["zzz"].data[0]);
  EXPECT_EQ(seededInput("x", {4}, 1).data, seededInput("x", {4}, 1).data);
  EXPECT_NE(seededInput("x", {4}, 1).data, seededInput("y", {4}, 1).data);
}

TEST_F(WeightsTest, BoundValuesRoundTripThroughAttach) {
  auto module = parse(modelText());
  resc::TensorMap values;
  std::string error;
  ASSERT_TRUE(initParams(*module, 1, values, error)) << error;
  ASSERT_TRUE(attachValues(*module, values, error)) << error;
  for (const ParamInfo &param : collectParams(*module))
    EXPECT_TRUE(param.bound) << param.name;
  // Bound parameters are now copied from the IR, not drawn again.
  resc::TensorMap again;
  ASSERT_TRUE(initParams(*module, 99, again, error, /*includeBound=*/true));
  EXPECT_EQ(again["conv.weight"].data, values["conv.weight"].data);
  resc::TensorMap unbound;
  ASSERT_TRUE(initParams(*module, 99, unbound, error));
  EXPECT_TRUE(unbound.empty());

  resc::TensorMap wrong;
  wrong["fc.bias"] = resc::Tensor({11});
  EXPECT_FALSE(attachValues(*module, wrong, error));
  EXPECT_EQ(error, "parameter 'fc.bias' has shape [10] in the model but the "
                   "value given has shape [11]");
}

} // namespace
