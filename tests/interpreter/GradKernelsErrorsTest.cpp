// Every gradient kernel refuses operands that do not fit, saying what it
// expected, instead of reading out of bounds: the batch is dynamic, so only
// run time knows whether, say, a saved activation matches its gradient.
#include "compiler/interpreter/GradKernels.h"

#include "dialect/ResDialect.h"
#include "dialect/ShapeRules.h"

#include <gtest/gtest.h>

#include <functional>
#include <limits>

using resc::Tensor;
namespace k = res::kernels;

namespace {

using Shape = std::vector<int64_t>;
using Kernel = std::function<bool(Tensor &, std::string &)>;

/// Runs `kernel`, which must fail with each of `parts` in its message.
void expectRefused(const Kernel &kernel,
                   const std::vector<std::string> &parts) {
  Tensor out;
  std::string error;
  EXPECT_FALSE(kernel(out, error)) << "the kernel should have refused";
  for (const std::string &part : parts)
    EXPECT_NE(error.find(part), std::string::npos)
        << "missing '" << part << "' in: " << error;
}

const int64_t kDyn = res::kDynamicDim;

k::Conv2DAttrs groups(int64_t g) {
  k::Conv2DAttrs a;
  a.groups = g;
  return a;
}

k::Pool2DAttrs pool(int64_t kernel, int64_t stride, int64_t padding) {
  k::Pool2DAttrs a;
  a.kernel = {kernel, kernel};
  a.stride = {stride, stride};
  a.padding = {padding, padding};
  return a;
}

TEST(GradKernelsErrorsTest, ChannelMean) {
  expectRefused(
      [](Tensor &o, std::string &e) {
        return k::channelMean(Tensor({4}), o, e);
      },
      {"input [4] has no channel dimension"});
  expectRefused(
      [](Tensor &o, std::string &e) {
        return k::channelMean(Tensor({0, 3}), o, e);
      },
      {"input [0, 3] has no values per channel"});
}

TEST(GradKernelsErrorsTest, ChannelVar) {
  expectRefused(
      [](Tensor &o, std::string &e) {
        return k::channelVar(Tensor({4, 2}), Tensor({3}), false, o, e);
      },
      {"mean has shape [3], expected [2]"});
  // One value per channel has no variance (PyTorch refuses it too).
  expectRefused(
      [](Tensor &o, std::string &e) {
        return k::channelVar(Tensor({1, 2, 1, 1}), Tensor({2}), true, o, e);
      },
      {"batch norm in training needs more than one value per channel",
       "[1, 2, 1, 1]"});
}

TEST(GradKernelsErrorsTest, Lerp) {
  expectRefused(
      [](Tensor &o, std::string &e) {
        return k::lerp(Tensor({2}), Tensor({3}), 0.1, o, e);
      },
      {"old has shape [2] but new has shape [3]"});
}

TEST(GradKernelsErrorsTest, BatchNormGrad) {
  Tensor x({2, 3}), c3({3});
  expectRefused(
      [&](Tensor &o, std::string &e) {
        return k::batchNormGrad(Tensor({2, 4}), x, c3, c3, c3, 1e-5, o, e);
      },
      {"dy has shape [2, 4] but input has shape [2, 3]"});
  expectRefused(
      [&](Tensor &o, std::string &e) {
        return k::batchNormGrad(x, x, Tensor({2}), c3, c3, 1e-5, o, e);
      },
      {"weight has shape [2], expected [3]"});
  expectRefused(
      [&](Tensor &o, std::string &e) {
        return k::batchNormGrad(x, x, c3, c3, c3, 0.0, o, e);
      },
      {"epsilon must be positive"});
}

TEST(GradKernelsErrorsTest, BatchNormGradGamma) {
  Tensor x({2, 3}), c3({3});
  expectRefused(
      [&](Tensor &o, std::string &e) {
        return k::batchNormGradGamma(x, x, c3, Tensor({3, 1}), 1e-5, o, e);
      },
      {"var must have rank 1, got shape [3, 1]"});
}

TEST(GradKernelsErrorsTest, ChannelSum) {
  expectRefused(
      [](Tensor &o, std::string &e) {
        return k::channelSum(Tensor(Shape{}), o, e);
      },
      {"dy [] has no channel dimension"});
}

TEST(GradKernelsErrorsTest, Conv2dGradInput) {
  // conv2d of [N, 3, 5, 5] with a 3x3 kernel gives [N, 4, 3, 3].
  Tensor dy({2, 4, 3, 3}), w({4, 3, 3, 3});
  k::Conv2DAttrs a;
  expectRefused(
      [&](Tensor &o, std::string &e) {
        return k::conv2dGradInput(dy, w, a, {kDyn, 5, 5, 5}, o, e);
      },
      {"the input has 5 channels but the weight [4, 3, 3, 3] with groups=1 "
       "expects 3"});
  expectRefused(
      [&](Tensor &o, std::string &e) {
        return k::conv2dGradInput(dy, w, a, {kDyn, 3, 6, 5}, o, e);
      },
      {"on the input [2, 3, 6, 5] gives 4 along dim 2, but dy has shape "
       "[2, 4, 3, 3]"});
  expectRefused(
      [&](Tensor &o, std::string &e) {
        return k::conv2dGradInput(dy, w, a, {3, 3, 5, 5}, o, e);
      },
      {"result shape [3, 3, 5, 5] has batch 3 but the operands have batch 2"});
  expectRefused(
      [&](Tensor &o, std::string &e) {
        return k::conv2dGradInput(Tensor({2, 5, 3, 3}), w, a, {kDyn, 3, 5, 5},
                                  o, e);
      },
      {"dy [2, 5, 3, 3] has 5 channels but the weight [4, 3, 3, 3] has 4 "
       "outputs"});
  expectRefused(
      [&](Tensor &o, std::string &e) {
        return k::conv2dGradInput(dy, w, a, {kDyn, 3, 5}, o, e);
      },
      {"result shape [-1, 3, 5] must have rank 4"});
  expectRefused(
      [&](Tensor &o, std::string &e) {
        return k::conv2dGradInput(dy, w, a, {kDyn, 3, kDyn, 5}, o, e);
      },
      {"must be static except for the batch dim"});
  // A result no allocation could hold is refused before any is tried.
  const int64_t huge = std::numeric_limits<int64_t>::max() / 2;
  expectRefused(
      [&](Tensor &o, std::string &e) {
        return k::conv2dGradInput(dy, w, a, {kDyn, 3, huge, huge}, o, e);
      },
      {"is too large"});
  // Even where an empty batch leaves nothing to allocate.
  expectRefused(
      [&](Tensor &o, std::string &e) {
        return k::conv2dGradInput(Tensor({0, 4, 3, 3}), w, a,
                                  {kDyn, 3, huge, 5}, o, e);
      },
      {"is too large"});
}

TEST(GradKernelsErrorsTest, Conv2dGradWeight) {
  Tensor x({2, 3, 5, 5}), dy({2, 4, 3, 3});
  k::Conv2DAttrs a;
  expectRefused(
      [&](Tensor &o, std::string &e) {
        return k::conv2dGradWeight(x, dy, a, {kDyn, 3, 3, 3}, o, e);
      },
      {"must be static [O, C/groups, KH, KW]"});
  expectRefused(
      [&](Tensor &o, std::string &e) {
        return k::conv2dGradWeight(Tensor({1, 3, 5, 5}), dy, a, {4, 3, 3, 3}, o,
                                   e);
      },
      {"dy has shape [2, 4, 3, 3] but the input [1, 3, 5, 5] and the weight "
       "gradient [4, 3, 3, 3] need [1, 4, ...]"});
  expectRefused(
      [&](Tensor &o, std::string &e) {
        return k::conv2dGradWeight(x, dy, groups(3), {4, 1, 3, 3}, o, e);
      },
      {"output channels 4 are not divisible by groups=3"});
  expectRefused(
      [&](Tensor &o, std::string &e) {
        return k::conv2dGradWeight(x, dy, a, {4, 3, 2, 2}, o, e);
      },
      {"gives 4 along dim 2, but dy has shape [2, 4, 3, 3]"});
  expectRefused(
      [&](Tensor &o, std::string &e) {
        return k::conv2dGradWeight(
            x, dy, a, {4, 3, std::numeric_limits<int64_t>::max(), 3}, o, e);
      },
      {"has a dim over 16777216"});
}

TEST(GradKernelsErrorsTest, DenseGradInput) {
  expectRefused(
      [](Tensor &o, std::string &e) {
        return k::denseGradInput(Tensor({2, 3}), Tensor({4, 5}), o, e);
      },
      {"dy [2, 3] has 3 features but the weight [4, 5] has 4 outputs"});
}

TEST(GradKernelsErrorsTest, DenseGradWeight) {
  expectRefused(
      [](Tensor &o, std::string &e) {
        return k::denseGradWeight(Tensor({2, 5}), Tensor({3, 4}), o, e);
      },
      {"dy [3, 4] and the input [2, 5] differ in more than their features"});
  // Per pixel: the pixels must be those of the input.
  expectRefused(
      [](Tensor &o, std::string &e) {
        return k::denseGradWeight(Tensor({2, 5, 3, 3}), Tensor({2, 4, 3, 2}), o,
                                  e);
      },
      {"dy [2, 4, 3, 2] and the input [2, 5, 3, 3] differ in more than their "
       "features"});
  expectRefused(
      [](Tensor &o, std::string &e) {
        return k::denseGradInput(Tensor({2, 4, 3, 1, 1}), Tensor({4, 4}), o, e);
      },
      {"dy must be [N, D], [N, T, D] or [N, C, H, W]"});
}

TEST(GradKernelsErrorsTest, ActivationGrad) {
  expectRefused(
      [](Tensor &o, std::string &e) {
        return k::activationGrad(res::Activation::relu, Tensor({2, 3}),
                                 Tensor({2, 4}), o, e);
      },
      {"dy has shape [2, 3] but input has shape [2, 4]"});
  expectRefused(
      [](Tensor &o, std::string &e) {
        return k::activationGrad(static_cast<res::Activation>(99), Tensor({2}),
                                 Tensor({2}), o, e);
      },
      {"unknown activation 99"});
}

TEST(GradKernelsErrorsTest, MaxPool2dGrad) {
  // A 2x2 window with stride 2 pools [1, 1, 4, 4] to [1, 1, 2, 2].
  Tensor x({1, 1, 4, 4});
  expectRefused(
      [&](Tensor &o, std::string &e) {
        return k::maxPool2dGrad(Tensor({1, 1, 3, 2}), x, pool(2, 2, 0), o, e);
      },
      {"gives 2 along dim 2, but dy has shape [1, 1, 3, 2]"});
  expectRefused(
      [&](Tensor &o, std::string &e) {
        return k::maxPool2dGrad(Tensor({1, 2, 2, 2}), x, pool(2, 2, 0), o, e);
      },
      {"dy has shape [1, 2, 2, 2] but the pooled input [1, 1, 4, 4] has a "
       "different batch or channel count"});
  expectRefused(
      [&](Tensor &o, std::string &e) {
        return k::maxPool2dGrad(Tensor({1, 1, 4, 4}), x, pool(2, 1, 2), o, e);
      },
      {"padding 2 is more than half the kernel 2"});
}

TEST(GradKernelsErrorsTest, AvgPool2dGrad) {
  Tensor dy({1, 1, 2, 2});
  expectRefused(
      [&](Tensor &o, std::string &e) {
        return k::avgPool2dGrad(dy, pool(2, 2, 0), {kDyn, 1, 4}, o, e);
      },
      {"result shape [-1, 1, 4] must have rank 4"});
  expectRefused(
      [&](Tensor &o, std::string &e) {
        return k::avgPool2dGrad(dy, pool(2, 2, 0), {kDyn, 1, 4, 7}, o, e);
      },
      {"gives 3 along dim 3, but dy has shape [1, 1, 2, 2]"});
  expectRefused(
      [&](Tensor &o, std::string &e) {
        return k::avgPool2dGrad(dy, pool(0, 2, 0), {kDyn, 1, 4, 4}, o, e);
      },
      {"kernel must be in [1, "});
}

TEST(GradKernelsErrorsTest, GlobalAvgPoolGrad) {
  expectRefused(
      [](Tensor &o, std::string &e) {
        return k::globalAvgPoolGrad(Tensor({2, 4}), {kDyn, 3, 2, 2}, o, e);
      },
      {"dy [2, 4] has 4 channels but the result shape [-1, 3, 2, 2] has 3"});
  expectRefused(
      [](Tensor &o, std::string &e) {
        return k::globalAvgPoolGrad(Tensor({2, 3}), {kDyn, 3, 0, 2}, o, e);
      },
      {"result shape [-1, 3, 0, 2] has no pixels"});
}

TEST(GradKernelsErrorsTest, Reshape) {
  expectRefused(
      [](Tensor &o, std::string &e) {
        return k::reshape(Tensor({2, 12}), {kDyn, 3, 2, 3}, o, e);
      },
      {"cannot reshape [2, 12] to [-1, 3, 2, 3]: the elements per sample "
       "differ"});
  expectRefused(
      [](Tensor &o, std::string &e) {
        return k::reshape(Tensor({2, 12}), {}, o, e);
      },
      {"result shape must have a batch dimension"});
}

TEST(GradKernelsErrorsTest, UpsampleGrad) {
  expectRefused(
      [](Tensor &o, std::string &e) {
        return k::upsampleGrad(Tensor({1, 1, 4, 3}), 2, o, e);
      },
      {"dy [1, 1, 4, 3] is not a multiple of the factor 2 in H and W"});
  expectRefused(
      [](Tensor &o, std::string &e) {
        return k::upsampleGrad(Tensor({1, 1, 4, 4}), 0, o, e);
      },
      {"factor must be in [1, "});
}

TEST(GradKernelsErrorsTest, SliceChannels) {
  expectRefused(
      [](Tensor &o, std::string &e) {
        return k::sliceChannels(Tensor({2, 3, 2}), 2, 2, o, e);
      },
      {"channels [2, 2 + 2) are not within the 3 channels of the input "
       "[2, 3, 2]"});
  expectRefused(
      [](Tensor &o, std::string &e) {
        return k::sliceChannels(Tensor({2, 3}), -1, 1, o, e);
      },
      {"are not within the 3 channels"});
}

TEST(GradKernelsErrorsTest, Scale) {
  // A tensor whose data does not fill its shape is refused, not read.
  Tensor bad({2, 2});
  bad.data.resize(3);
  expectRefused(
      [&](Tensor &o, std::string &e) { return k::scale(bad, 2.0, o, e); },
      {"input has shape [2, 2] but 3 elements"});
}

TEST(GradKernelsErrorsTest, SoftmaxGrad) {
  expectRefused(
      [](Tensor &o, std::string &e) {
        return k::softmaxGrad(Tensor({2, 3}), Tensor({2, 4}), o, e);
      },
      {"dy has shape [2, 3] but output has shape [2, 4]"});
}

TEST(GradKernelsErrorsTest, MalformedOperandsAreNotRead) {
  Tensor bad({2, 3, 2, 2});
  bad.data.resize(5);
  Tensor w({3, 3, 1, 1});
  expectRefused(
      [&](Tensor &o, std::string &e) {
        return k::conv2dGradInput(bad, w, k::Conv2DAttrs(), {kDyn, 3, 2, 2}, o,
                                  e);
      },
      {"dy has shape [2, 3, 2, 2] but 5 elements"});
  expectRefused(
      [&](Tensor &o, std::string &e) {
        return k::maxPool2dGrad(Tensor({2, 3, 1, 1}), bad, pool(2, 2, 0), o, e);
      },
      {"input has shape [2, 3, 2, 2] but 5 elements"});
  expectRefused(
      [&](Tensor &o, std::string &e) {
        return k::batchNormGrad(bad, bad, Tensor({3}), Tensor({3}), Tensor({3}),
                                1e-5, o, e);
      },
      {"has shape [2, 3, 2, 2] but 5 elements"});
}

} // namespace

namespace {

TEST(GradKernelsErrorsTest, LayerNormGrad) {
  expectRefused(
      [](Tensor &o, std::string &e) {
        return k::layerNormGrad(Tensor({2, 3, 4, 1, 1}),
                                Tensor({2, 3, 4, 1, 1}), nullptr, 1e-5, o, e);
      },
      {"input must be [N, C, H, W], [N, T, D] or [N, D], got [2, 3, 4, 1, 1]"});
  expectRefused(
      [](Tensor &o, std::string &e) {
        return k::layerNormGrad(Tensor({2, 4}), Tensor({2, 3}), nullptr, 1e-5,
                                o, e);
      },
      {"dy has shape [2, 4] but the input has shape [2, 3]"});
  expectRefused(
      [](Tensor &o, std::string &e) {
        Tensor w({4});
        return k::layerNormGrad(Tensor({2, 3, 1, 1}), Tensor({2, 3, 1, 1}), &w,
                                1e-5, o, e);
      },
      {"weight has shape [4], expected [3]"});
  expectRefused(
      [](Tensor &o, std::string &e) {
        return k::layerNormGrad(Tensor({2, 3}), Tensor({2, 3}), nullptr, 0.0, o,
                                e);
      },
      {"epsilon must be positive"});
}

TEST(GradKernelsErrorsTest, LayerNormGradWeight) {
  expectRefused(
      [](Tensor &o, std::string &e) {
        return k::layerNormGradWeight(Tensor({2, 3, 2, 2}),
                                      Tensor({2, 3, 2, 1}), 1e-5, o, e);
      },
      {"dy has shape [2, 3, 2, 2] but the input has shape [2, 3, 2, 1]"});
}

TEST(GradKernelsErrorsTest, ChannelScaleGradScale) {
  expectRefused(
      [](Tensor &o, std::string &e) {
        return k::channelScaleGradScale(Tensor({2, 3, 2, 2}),
                                        Tensor({2, 3, 2, 2}), {3}, o, e);
      },
      {"the scale's gradient [3] does not fit the input [2, 3, 2, 2]: "
       "expected [3, 1, 1]"});
  expectRefused(
      [](Tensor &o, std::string &e) {
        return k::channelScaleGradScale(Tensor({2, 5}), Tensor({2, 5}), {5, 1},
                                        o, e);
      },
      {"expected [5]"});
}

} // namespace
