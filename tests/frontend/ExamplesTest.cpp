// Every example model checks, and the torchvision ones have exactly
// torchvision's parameter names and counts.
#include "FrontendTestUtil.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace fs = std::filesystem;
using namespace res::test;

namespace {

const std::string kExamples = RESC_SOURCE_DIR "/examples";

int64_t trainableCount(Compiled &c) {
  int64_t total = 0;
  for (auto &[name, shape] : c.params(/*buffers=*/false)) {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    total += n;
  }
  return total;
}

} // namespace

TEST(Examples, AllCheck) {
  size_t count = 0;
  for (auto &entry : fs::directory_iterator(kExamples)) {
    if (entry.path().extension() != ".res")
      continue;
    ++count;
    Compiled c = compileFile(entry.path().string());
    EXPECT_TRUE(c.ok()) << entry.path() << ":\n" << c.diagnostics;
  }
  EXPECT_GE(count, 10u);
}

TEST(Examples, TorchvisionParameterCounts) {
  struct Case {
    const char *file;
    int64_t params;
    size_t tensors; // state_dict entries without num_batches_tracked
  };
  for (Case k : {Case{"resnet18.res", 11689512, 102},
                 Case{"resnet34.res", 21797672, 182},
                 Case{"resnet50.res", 25557032, 267},
                 Case{"resnext50_32x4d.res", 25028904, 267},
                 Case{"wide_resnet50_2.res", 68883240, 267},
                 Case{"mobilenet_v2.res", 3504872, 262},
                 Case{"mobilenet_v3_small.res", 2542856, 210},
                 Case{"efficientnet_b0.res", 5288548, 311},
                 Case{"convnext_tiny.res", 28589128, 182},
                 Case{"vit_b_16.res", 86567656, 152}}) {
    Compiled c = compileFile(kExamples + "/" + k.file);
    ASSERT_TRUE(c.ok()) << c.diagnostics;
    EXPECT_EQ(trainableCount(c), k.params) << k.file;
    EXPECT_EQ(c.params().size(), k.tensors) << k.file;
  }
}

TEST(Examples, Resnet50UsesTorchvisionNamesAndV15Strides) {
  Compiled c = compileFile(kExamples + "/resnet50.res");
  ASSERT_TRUE(c.ok()) << c.diagnostics;
  auto params = c.params();
  EXPECT_EQ(params["conv1.weight"], (std::vector<int64_t>{64, 3, 7, 7}));
  EXPECT_EQ(params["layer1.0.downsample.0.weight"],
            (std::vector<int64_t>{256, 64, 1, 1}));
  EXPECT_EQ(params["layer4.2.conv3.weight"],
            (std::vector<int64_t>{2048, 512, 1, 1}));
  EXPECT_EQ(params["fc.weight"], (std::vector<int64_t>{1000, 2048}));
  EXPECT_TRUE(params.count("layer3.5.bn2.running_var"));
  // v1.5: the stride sits on the 3x3 convolution of the bottleneck.
  auto conv1 = llvm::cast<res::Conv2DOp>(c.layer("layer2.0.conv1"));
  auto conv2 = llvm::cast<res::Conv2DOp>(c.layer("layer2.0.conv2"));
  EXPECT_EQ(conv1.getStride()[0], 1);
  EXPECT_EQ(conv2.getStride()[0], 2);
  EXPECT_EQ(
      Compiled::shape(c.function().front().getTerminator()->getOperand(0)),
      (std::vector<int64_t>{-1, 1000}));
}

TEST(Examples, Resnet20MatchesTheLanguageContract) {
  Compiled c = compileFile(kExamples + "/resnet20.res");
  ASSERT_TRUE(c.ok()) << c.diagnostics;
  auto params = c.params();
  // `repeat 2 basic(32) as layer2 from 1` names the copies layer2.1, 2.
  EXPECT_TRUE(params.count("layer2.1.conv1.weight"));
  EXPECT_TRUE(params.count("layer2.2.bn2.bias"));
  EXPECT_FALSE(params.count("layer2.3.conv1.weight"));
  // `shortcut when changed` is the identity where the shape stays.
  EXPECT_TRUE(params.count("layer2.0.downsample.0.weight"));
  EXPECT_FALSE(params.count("layer2.1.downsample.0.weight"));
  EXPECT_FALSE(params.count("layer1.0.downsample.0.weight"));
  auto fn = c.function();
  EXPECT_EQ(fn.getArgAttrOfType<mlir::StringAttr>(0, res::kNameAttr).getValue(),
            "image");
  EXPECT_EQ(
      fn.getResultAttrOfType<mlir::StringAttr>(0, res::kNameAttr).getValue(),
      "logits");
}

TEST(Examples, TiedRepeatStaysOneOpWithOneParameterSet) {
  Compiled c = compileFile(kExamples + "/tied_ode.res");
  ASSERT_TRUE(c.ok()) << c.diagnostics;
  int repeats = 0;
  c.module->walk([&](res::RepeatOp op) {
    ++repeats;
    EXPECT_EQ(op.getCount(), 12);
  });
  EXPECT_EQ(repeats, 1);
  auto params = c.params();
  EXPECT_TRUE(params.count("ode.conv.weight"));
  EXPECT_FALSE(params.count("ode.0.conv.weight"));
  auto residual = llvm::cast<res::ResidualOp>(c.layer("ode"));
  EXPECT_DOUBLE_EQ(residual.getBranchScale().convertToDouble(), 0.1);
  EXPECT_DOUBLE_EQ(residual.getOutputScale().convertToDouble(), 0.7071);
  EXPECT_FALSE(residual.getAfter().has_value());
}
