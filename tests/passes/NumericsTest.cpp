// Numeric preservation: every example model, with seeded weights and
// non-trivial batch-norm statistics bound into the IR, gives the same
// output (to 1e-4 of its largest magnitude) through the interpreter before
// and after each optimisation level. The ImageNet ResNets run at 64x64
// here; NumericsSlowTest.cpp runs them at 224x224 (ctest label `slow`).
#include "PassTestUtil.h"

#include "compiler/passes/ParamValues.h"
#include "compiler/passes/Passes.h"
#include "compiler/passes/Pipelines.h"

#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <sstream>

using namespace mlir;

namespace res::testing {
namespace {

constexpr double kTolerance = 1e-4;
constexpr uint64_t kSeed = 7;

struct Example {
  const char *name;
  std::vector<std::pair<std::string, std::string>> replacements;
};

void PrintTo(const Example &e, std::ostream *os) { *os << e.name; }

const char *kImageNet224 = "f32[N, 3, 224, 224]";
const char *kSmall = "f32[N, 3, 64, 64]";

class NumericsTest : public ::testing::TestWithParam<Example> {};

TEST_P(NumericsTest, OptimisationLevelsKeepTheOutput) {
  QuietContext context;
  auto module =
      compileExample(context.get(), GetParam().name, GetParam().replacements);
  ASSERT_TRUE(module);
  bindValues(*module, randomWeights(*module, kSeed));
  auto inputs = seededInputs(modelFunction(*module), kSeed);
  auto expected = interpret(*module, inputs);
  ASSERT_FALSE(expected.empty());
  ASSERT_EQ(relativeError(expected, expected), 0) << "non-finite output";

  for (int level = 1; level <= 2; ++level) {
    OwningOpRef<ModuleOp> optimised = module->clone();
    ASSERT_TRUE(runPipeline(
        *optimised, [&](OpPassManager &pm) { buildResPipeline(pm, level); }));
    ASSERT_TRUE(succeeded(verify(*optimised)));
    auto actual = interpret(*optimised, inputs);
    double error = relativeError(expected, actual);
    std::ostringstream text;
    text << error;
    RecordProperty("relative_error_O" + std::to_string(level), text.str());
    EXPECT_LE(error, kTolerance) << GetParam().name << " at -O" << level;
  }
}

// Batch norms that follow a layer are all folded at -O2.
TEST_P(NumericsTest, O2FoldsEveryBatchNormAfterALayer) {
  QuietContext context;
  auto module =
      compileExample(context.get(), GetParam().name, GetParam().replacements);
  ASSERT_TRUE(module);
  bindValues(*module, randomWeights(*module, kSeed));
  int afterLayer = 0;
  module->walk([&](BatchNormOp bn) {
    Operation *def = bn.getInput().getDefiningOp();
    if (isa_and_nonnull<Conv2DOp, DenseOp>(def))
      ++afterLayer;
  });
  int before = countOps(*module, "res.batch_norm");
  ASSERT_TRUE(
      runPipeline(*module, [](OpPassManager &pm) { buildResPipeline(pm, 2); }));
  EXPECT_EQ(countOps(*module, "res.batch_norm"), before - afterLayer);
}

/// Layer norms that still scale and shift (have a weight operand).
int affineLayerNorms(ModuleOp module) {
  int count = 0;
  module.walk([&](LayerNormOp norm) { count += norm.getWeight() ? 1 : 0; });
  return count;
}

// Every layer norm whose only user is a dense layer, a 1x1 convolution or
// attention loses its affine at -O2 (the output is checked above): the
// Transformers' two norms per layer, ConvNeXt's norm in each block. What
// is left: the Transformers' final norms (token(0) or the output reads
// them); ConvNeXt's stem norm (a block reads it), its norm before the 2x2
// downsampling convolution and the head's norm before a layer scale.
TEST(NumericsLayerNormTest, O2FoldsTheNormsBeforeLinearLayers) {
  const std::pair<const char *, std::pair<int, int>> kExamples[] = {
      {"vit_cifar", {13, 1}},
      {"transformer_encoder", {9, 1}},
      {"convnext_mini", {7, 3}}};
  for (const auto &[name, counts] : kExamples) {
    QuietContext context;
    auto module = compileExample(context.get(), name, {});
    ASSERT_TRUE(module);
    bindValues(*module, randomWeights(*module, kSeed));
    EXPECT_EQ(affineLayerNorms(*module), counts.first) << name;
    ASSERT_TRUE(runPipeline(
        *module, [](OpPassManager &pm) { buildResPipeline(pm, 2); }));
    EXPECT_EQ(affineLayerNorms(*module), counts.second) << name;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Examples, NumericsTest,
    ::testing::Values(Example{"resnet20", {}}, Example{"tied_ode", {}},
                      Example{"resmlp", {}}, Example{"unet_small", {}},
                      Example{"scaled_blocks", {}}, Example{"expressions", {}},
                      Example{"preact_resnet164", {}},
                      Example{"resnet18", {{kImageNet224, kSmall}}},
                      Example{"resnet34", {{kImageNet224, kSmall}}},
                      Example{"resnet50", {{kImageNet224, kSmall}}},
                      Example{"convnext_mini", {}}, Example{"vit_cifar", {}},
                      Example{"transformer_encoder", {}}),
    [](const ::testing::TestParamInfo<Example> &info) {
      return std::string(info.param.name);
    });

// Weights supplied at run time: every batch norm is folded by a
// res.fold_bn_params step, and the output through -O2 is still the same.
TEST(NumericsUnboundTest, RunTimeWeightsKeepTheOutput) {
  QuietContext context;
  auto module = compileExample(context.get(), "resnet20");
  ASSERT_TRUE(module);
  resc::TensorMap weights = randomWeights(*module, kSeed);
  auto inputs = seededInputs(modelFunction(*module), kSeed);
  auto expected = interpret(*module, inputs, weights);
  ASSERT_TRUE(
      runPipeline(*module, [](OpPassManager &pm) { buildResPipeline(pm, 2); }));
  EXPECT_EQ(countOps(*module, "res.batch_norm"), 0);
  EXPECT_EQ(countOps(*module, "res.fold_bn_params"), 21);
  EXPECT_LE(relativeError(expected, interpret(*module, inputs, weights)),
            kTolerance);
}

// res-inline-blocks (and unrolled tied repeats) compute the same function.
TEST(NumericsInlineTest, FlatteningKeepsTheOutput) {
  for (const char *name :
       {"resnet20", "tied_ode", "unet_small", "scaled_blocks"}) {
    QuietContext context;
    auto module = compileExample(context.get(), name);
    ASSERT_TRUE(module);
    bindValues(*module, randomWeights(*module, kSeed));
    auto inputs = seededInputs(modelFunction(*module), kSeed);
    auto expected = interpret(*module, inputs);
    ASSERT_TRUE(runPipeline(*module, [](OpPassManager &pm) {
      buildResPipeline(pm, 2);
      InlineBlocksOptions options;
      options.unrollRepeats = true;
      pm.addPass(createInlineBlocks(options));
    }));
    EXPECT_EQ(countOps(*module, "res.repeat"), 0) << name;
    EXPECT_LE(relativeError(expected, interpret(*module, inputs)), kTolerance)
        << name;
  }
}

// Folding a batch norm forwards into the layer after it: a grouped strided
// 1x1 conv, a padded conv after a zero-shift norm, a dense layer; the norm
// before a padded conv with a non-zero shift stays.
TEST(FoldForwardTest, KeepsTheOutput) {
  QuietContext context;
  auto module = parseSourceString<ModuleOp>(R"(
res.param @a.weight : tensor<4x2x1x1xf32>
res.param @a.bias : tensor<4xf32>
res.param @b.weight : tensor<4x4x3x3xf32>
res.param @c.weight : tensor<4x4x3x3xf32>
res.param @fc.weight : tensor<3x4xf32>
res.param @fc.bias : tensor<3xf32>
res.param @bn1.weight : tensor<4xf32>
res.param @bn1.bias : tensor<4xf32>
res.param @bn1.running_mean : tensor<4xf32> {buffer}
res.param @bn1.running_var : tensor<4xf32> {buffer}
res.param @bn2.weight : tensor<4xf32>
res.param @bn2.bias : tensor<4xf32>
res.param @bn2.running_mean : tensor<4xf32> {buffer}
res.param @bn2.running_var : tensor<4xf32> {buffer}
res.param @bn3.weight : tensor<4xf32>
res.param @bn3.bias : tensor<4xf32>
res.param @bn3.running_mean : tensor<4xf32> {buffer}
res.param @bn3.running_var : tensor<4xf32> {buffer}
res.param @bn4.weight : tensor<4xf32>
res.param @bn4.bias : tensor<4xf32>
res.param @bn4.running_mean : tensor<4xf32> {buffer}
res.param @bn4.running_var : tensor<4xf32> {buffer}
func.func @f(%x: tensor<?x4x6x6xf32>) -> tensor<?x3xf32> {
  %g1 = res.weight @bn1.weight : tensor<4xf32>
  %b1 = res.weight @bn1.bias : tensor<4xf32>
  %m1 = res.weight @bn1.running_mean : tensor<4xf32>
  %v1 = res.weight @bn1.running_var : tensor<4xf32>
  %n1 = res.batch_norm %x, %g1, %b1, %m1, %v1 {epsilon = 1.0e-5 : f64, momentum = 0.1 : f64} : (tensor<?x4x6x6xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4x6x6xf32>
  %wa = res.weight @a.weight : tensor<4x2x1x1xf32>
  %ba = res.weight @a.bias : tensor<4xf32>
  %a = res.conv2d %n1, %wa, %ba {dilation = array<i64: 1, 1>, groups = 2 : i64, padding = array<i64: 0, 0>, stride = array<i64: 2, 2>} : (tensor<?x4x6x6xf32>, tensor<4x2x1x1xf32>, tensor<4xf32>) -> tensor<?x4x3x3xf32>
  %ra = res.activation relu %a : tensor<?x4x3x3xf32>
  %g2 = res.weight @bn2.weight : tensor<4xf32>
  %b2 = res.weight @bn2.bias : tensor<4xf32>
  %m2 = res.weight @bn2.running_mean : tensor<4xf32>
  %v2 = res.weight @bn2.running_var : tensor<4xf32>
  %n2 = res.batch_norm %ra, %g2, %b2, %m2, %v2 {epsilon = 1.0e-5 : f64, momentum = 0.1 : f64} : (tensor<?x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4x3x3xf32>
  %wb = res.weight @b.weight : tensor<4x4x3x3xf32>
  %b = res.conv2d %n2, %wb {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x4x3x3xf32>, tensor<4x4x3x3xf32>) -> tensor<?x4x3x3xf32>
  %rb = res.activation relu %b : tensor<?x4x3x3xf32>
  %g3 = res.weight @bn3.weight : tensor<4xf32>
  %b3 = res.weight @bn3.bias : tensor<4xf32>
  %m3 = res.weight @bn3.running_mean : tensor<4xf32>
  %v3 = res.weight @bn3.running_var : tensor<4xf32>
  %n3 = res.batch_norm %rb, %g3, %b3, %m3, %v3 {epsilon = 1.0e-5 : f64, momentum = 0.1 : f64} : (tensor<?x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4x3x3xf32>
  %wc = res.weight @c.weight : tensor<4x4x3x3xf32>
  %c = res.conv2d %n3, %wc {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x4x3x3xf32>, tensor<4x4x3x3xf32>) -> tensor<?x4x3x3xf32>
  %p = res.global_avg_pool %c : (tensor<?x4x3x3xf32>) -> tensor<?x4xf32>
  %g4 = res.weight @bn4.weight : tensor<4xf32>
  %b4 = res.weight @bn4.bias : tensor<4xf32>
  %m4 = res.weight @bn4.running_mean : tensor<4xf32>
  %v4 = res.weight @bn4.running_var : tensor<4xf32>
  %n4 = res.batch_norm %p, %g4, %b4, %m4, %v4 {epsilon = 1.0e-5 : f64, momentum = 0.1 : f64} : (tensor<?x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %wf = res.weight @fc.weight : tensor<3x4xf32>
  %bf = res.weight @fc.bias : tensor<3xf32>
  %y = res.dense %n4, %wf, %bf : (tensor<?x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
})",
                                            &context.get());
  ASSERT_TRUE(module);
  bindValues(*module, randomWeights(*module, kSeed, [](resc::TensorMap &v) {
    // bn2 has a zero shift: padding after it stays exact.
    std::fill(v["bn2.bias"].data.begin(), v["bn2.bias"].data.end(), 0.0f);
    std::fill(v["bn2.running_mean"].data.begin(),
              v["bn2.running_mean"].data.end(), 0.0f);
  }));
  auto inputs = seededInputs(modelFunction(*module), kSeed);
  auto expected = interpret(*module, inputs);
  ASSERT_TRUE(runPipeline(
      *module, [](OpPassManager &pm) { pm.addPass(createFoldBatchNorm()); }));
  EXPECT_EQ(countOps(*module, "res.batch_norm"), 1);
  EXPECT_LE(relativeError(expected, interpret(*module, inputs)), kTolerance);
}

// PyTorch's zero_init_residual: every block's last batch norm has weight 0
// (and bias 0). -O2 removes each block without a projection and keeps only
// the projection path (conv, folded BN, relu) of the others; the output is
// unchanged.
TEST(ZeroInitResidualTest, ResNet18LosesEveryIdentityBlock) {
  QuietContext context;
  auto module =
      compileExample(context.get(), "resnet18", {{kImageNet224, kSmall}});
  ASSERT_TRUE(module);
  bindValues(*module,
             randomWeights(*module, kSeed, [](resc::TensorMap &values) {
               for (auto &[name, tensor] : values)
                 if (llvm::StringRef(name).ends_with(".bn2.weight") ||
                     llvm::StringRef(name).ends_with(".bn2.bias"))
                   std::fill(tensor.data.begin(), tensor.data.end(), 0.0f);
             }));
  auto inputs = seededInputs(modelFunction(*module), kSeed);
  auto expected = interpret(*module, inputs);
  ASSERT_EQ(countOps(*module, "res.residual"), 8);

  ASSERT_TRUE(
      runPipeline(*module, [](OpPassManager &pm) { buildResPipeline(pm, 2); }));
  EXPECT_EQ(countOps(*module, "res.residual"), 0);
  // The stem and the three projections (layer2.0, layer3.0, layer4.0), each
  // with its relu fused in: the relu after the projections stays, the
  // identity blocks' relu goes (their input is already a relu's output).
  EXPECT_EQ(countOps(*module, "res.conv2d"), 0);
  EXPECT_EQ(countOps(*module, "res.fused_conv2d"), 4);
  EXPECT_EQ(countOps(*module, "res.batch_norm"), 0);
  EXPECT_EQ(countOps(*module, "res.activation"), 0);
  module->walk([](FusedConv2DOp conv) {
    EXPECT_EQ(conv.getActivation(), Activation::relu) << layerName(conv);
    EXPECT_FALSE(conv.getResidual()) << layerName(conv);
  });
  int pruned = 0;
  for (const std::string &m : context.messages)
    pruned += llvm::StringRef(m).starts_with("pruned block 'layer");
  EXPECT_EQ(pruned, 8);
  EXPECT_LE(relativeError(expected, interpret(*module, inputs)), kTolerance);
}

} // namespace
} // namespace res::testing
