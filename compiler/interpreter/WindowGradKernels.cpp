// The gradients of the window ops (conv2d, the pools, upsampling): naive
// loops on purpose, like Kernels.cpp. Every sum runs in double: the input
// gradients gather, or scatter into a double buffer, so that no sum is
// rounded to float before it is complete.
#include "compiler/interpreter/GradKernelChecks.h"

#include "dialect/ResDialect.h"
#include "dialect/ShapeRules.h"

#include <algorithm>
#include <cmath>
#include <limits>

using resc::Tensor;

namespace res {
namespace kernels {

using namespace gradchecks;

namespace {

/// The checks conv2d makes on its attributes and weight; `inChannels` is C
/// of the input.
bool checkConv(const Conv2DAttrs &a, const Shape &weight, int64_t inChannels,
               const char *weightName, std::string &error) {
  if (!pairInRange(a.stride, "stride", 1, error) ||
      !pairInRange(a.padding, "padding", 0, error) ||
      !pairInRange(a.dilation, "dilation", 1, error))
    return false;
  const int64_t g = a.groups;
  if (g < 1 || g > kMaxAttr) {
    error = "groups must be in [1, " + num(kMaxAttr) + "], got " + num(g);
    return false;
  }
  if (weight[2] < 1 || weight[3] < 1) {
    error =
        std::string(weightName) + " " + str(weight) + " has an empty kernel";
    return false;
  }
  if (weight[0] % g != 0) {
    error = "output channels " + num(weight[0]) +
            " are not divisible by groups=" + num(g);
    return false;
  }
  if (inChannels != weight[1] * g) {
    error = "the input has " + num(inChannels) + " channels but the " +
            weightName + " " + str(weight) + " with groups=" + num(g) +
            " expects " + num(weight[1] * g);
    return false;
  }
  return true;
}

/// Checks that a window op on an input of shape `in` [N, C, H, W] gives
/// `dy`'s spatial size.
bool checkWindowOutput(const Shape &in, const Pair &kernel, const Pair &stride,
                       const Pair &pad, const Pair &dilation, const Tensor &dy,
                       std::string &error) {
  for (int i = 0; i < 2; ++i) {
    int64_t out =
        windowOutputSize(in[2 + i], kernel[i], stride[i], pad[i], dilation[i]);
    if (out != dy.shape[2 + i]) {
      error = "a window of " + num(kernel[i]) + " (stride " + num(stride[i]) +
              ", padding " + num(pad[i]) + ", dilation " + num(dilation[i]) +
              ") on the input " + str(in) + " gives " +
              (out <= 0 ? std::string("no output") : num(out)) + " along dim " +
              num(2 + i) + ", but dy has shape " + str(dy.shape);
      return false;
    }
  }
  return true;
}

bool checkPoolAttrs(const Pool2DAttrs &a, std::string &error) {
  if (!pairInRange(a.kernel, "kernel", 1, error) ||
      !pairInRange(a.stride, "stride", 1, error) ||
      !pairInRange(a.padding, "padding", 0, error))
    return false;
  for (int i = 0; i < 2; ++i)
    if (a.padding[i] * 2 > a.kernel[i]) {
      error = "padding " + num(a.padding[i]) +
              " is more than half the kernel " + num(a.kernel[i]);
      return false;
    }
  return true;
}

/// dy [N, C, OH, OW] must be the pooled `in` [N, C, H, W].
bool checkPool(const Tensor &dy, const Shape &in, const Pool2DAttrs &a,
               std::string &error) {
  if (!checkPoolAttrs(a, error))
    return false;
  if (dy.shape[0] != in[0] || dy.shape[1] != in[1]) {
    error = "dy has shape " + str(dy.shape) + " but the pooled input " +
            str(in) + " has a different batch or channel count";
    return false;
  }
  return checkWindowOutput(in, a.kernel, a.stride, a.padding, {1, 1}, dy,
                           error);
}

} // namespace

bool conv2dGradInput(const Tensor &dy, const Tensor &w, const Conv2DAttrs &a,
                     const Shape &outShape, Tensor &out, std::string &error) {
  Shape in;
  if (!hasRank(dy, "dy", 4, error) || !hasRank(w, "weight", 4, error) ||
      !resolveShape(outShape, 4, dy.shape[0], in, error) ||
      !checkConv(a, w.shape, in[1], "weight", error))
    return false;
  if (dy.shape[1] != w.shape[0]) {
    error = "dy " + str(dy.shape) + " has " + num(dy.shape[1]) +
            " channels but the weight " + str(w.shape) + " has " +
            num(w.shape[0]) + " outputs";
    return false;
  }
  const int64_t kh = w.shape[2], kw = w.shape[3];
  if (!checkWindowOutput(in, {kh, kw}, a.stride, a.padding, a.dilation, dy,
                         error) ||
      !allocate(in, out, error))
    return false;

  const int64_t n = in[0], c = in[1], h = in[2], wd = in[3];
  const int64_t o = w.shape[0], cg = w.shape[1], og = o / a.groups;
  const int64_t oh = dy.shape[2], ow = dy.shape[3];
  // Gathers: input row ih is reached from output row oh through kernel row
  // ki when ih = oh * stride - pad + ki * dilation.
  auto source = [](int64_t i, int64_t k, int64_t stride, int64_t pad,
                   int64_t dilation, int64_t size) -> int64_t {
    int64_t span = i + pad - k * dilation;
    if (span < 0 || span % stride != 0 || span / stride >= size)
      return -1;
    return span / stride;
  };
  float *y = out.data.data();
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ic = 0; ic < c; ++ic) {
      const int64_t group = ic / cg, wc = ic % cg;
      for (int64_t i = 0; i < h; ++i)
        for (int64_t j = 0; j < wd; ++j) {
          double acc = 0;
          for (int64_t ki = 0; ki < kh; ++ki) {
            int64_t si =
                source(i, ki, a.stride[0], a.padding[0], a.dilation[0], oh);
            if (si < 0)
              continue;
            for (int64_t kj = 0; kj < kw; ++kj) {
              int64_t sj =
                  source(j, kj, a.stride[1], a.padding[1], a.dilation[1], ow);
              if (sj < 0)
                continue;
              for (int64_t oc = group * og; oc < (group + 1) * og; ++oc)
                acc += double(dy.data[((b * o + oc) * oh + si) * ow + sj]) *
                       w.data[((oc * cg + wc) * kh + ki) * kw + kj];
            }
          }
          *y++ = static_cast<float>(acc);
        }
    }
  return true;
}

bool conv2dGradWeight(const Tensor &x, const Tensor &dy, const Conv2DAttrs &a,
                      const Shape &outShape, Tensor &out, std::string &error) {
  if (!hasRank(x, "input", 4, error) || !hasRank(dy, "dy", 4, error))
    return false;
  if (outShape.size() != 4 || std::any_of(outShape.begin(), outShape.end(),
                                          [](int64_t d) { return d < 0; })) {
    error = "the weight gradient's shape " + str(outShape) +
            " must be static [O, C/groups, KH, KW]";
    return false;
  }
  // Unlike a weight operand, this shape has no data behind it; bounded like
  // the window attributes, it cannot overflow the shape checks.
  if (std::any_of(outShape.begin(), outShape.end(),
                  [](int64_t d) { return d > kMaxAttr; })) {
    error = "the weight gradient's shape " + str(outShape) +
            " has a dim over " + num(kMaxAttr);
    return false;
  }
  if (!checkConv(a, outShape, x.shape[1], "weight gradient", error))
    return false;
  if (dy.shape[0] != x.shape[0] || dy.shape[1] != outShape[0]) {
    error = "dy has shape " + str(dy.shape) + " but the input " + str(x.shape) +
            " and the weight gradient " + str(outShape) + " need [" +
            num(x.shape[0]) + ", " + num(outShape[0]) + ", ...]";
    return false;
  }
  const int64_t kh = outShape[2], kw = outShape[3];
  if (!checkWindowOutput(x.shape, {kh, kw}, a.stride, a.padding, a.dilation, dy,
                         error) ||
      !allocate(outShape, out, error))
    return false;

  const int64_t n = x.shape[0], c = x.shape[1], h = x.shape[2], wd = x.shape[3];
  const int64_t o = outShape[0], cg = outShape[1], og = o / a.groups;
  const int64_t oh = dy.shape[2], ow = dy.shape[3];
  float *y = out.data.data();
  for (int64_t oc = 0; oc < o; ++oc) {
    const int64_t firstIn = (oc / og) * cg;
    for (int64_t ic = 0; ic < cg; ++ic)
      for (int64_t ki = 0; ki < kh; ++ki)
        for (int64_t kj = 0; kj < kw; ++kj) {
          double acc = 0;
          for (int64_t b = 0; b < n; ++b)
            for (int64_t i = 0; i < oh; ++i) {
              int64_t hi = i * a.stride[0] - a.padding[0] + ki * a.dilation[0];
              if (hi < 0 || hi >= h)
                continue;
              for (int64_t j = 0; j < ow; ++j) {
                int64_t wj =
                    j * a.stride[1] - a.padding[1] + kj * a.dilation[1];
                if (wj < 0 || wj >= wd)
                  continue;
                acc += double(dy.data[((b * o + oc) * oh + i) * ow + j]) *
                       x.data[((b * c + firstIn + ic) * h + hi) * wd + wj];
              }
            }
          *y++ = static_cast<float>(acc);
        }
  }
  return true;
}

bool maxPool2dGrad(const Tensor &dy, const Tensor &x, const Pool2DAttrs &a,
                   Tensor &out, std::string &error) {
  if (!hasRank(dy, "dy", 4, error) || !hasRank(x, "input", 4, error) ||
      !checkPool(dy, x.shape, a, error))
    return false;
  const int64_t h = x.shape[2], w = x.shape[3];
  const int64_t oh = dy.shape[2], ow = dy.shape[3];
  std::vector<double> acc(x.numel(), 0.0);
  for (int64_t p = 0; p < x.shape[0] * x.shape[1]; ++p) {
    const float *plane = x.data.data() + p * h * w;
    for (int64_t i = 0; i < oh; ++i)
      for (int64_t j = 0; j < ow; ++j) {
        // The same fold as maxPool2d: only a strictly greater value
        // replaces, so the first maximum wins, and the first NaN stays. A
        // window of only -inf sends its gradient to its first element.
        int64_t best = -1;
        double peak = -std::numeric_limits<double>::infinity();
        for (int64_t ki = 0; ki < a.kernel[0]; ++ki)
          for (int64_t kj = 0; kj < a.kernel[1]; ++kj) {
            int64_t hi = i * a.stride[0] - a.padding[0] + ki;
            int64_t wj = j * a.stride[1] - a.padding[1] + kj;
            if (hi < 0 || hi >= h || wj < 0 || wj >= w)
              continue;
            float v = plane[hi * w + wj];
            if ((v > peak || std::isnan(v)) && !std::isnan(peak)) {
              peak = v;
              best = hi * w + wj;
            } else if (best < 0) {
              best = hi * w + wj;
            }
          }
        // checkPool's padding rule leaves every window an in-bounds element;
        // the test only guards the index should that rule ever change.
        if (best >= 0)
          acc[p * h * w + best] += dy.data[(p * oh + i) * ow + j];
      }
  }
  out = fromDouble(x.shape, acc);
  return true;
}

bool avgPool2dGrad(const Tensor &dy, const Pool2DAttrs &a,
                   const Shape &outShape, Tensor &out, std::string &error) {
  Shape in;
  if (!hasRank(dy, "dy", 4, error) ||
      !resolveShape(outShape, 4, dy.shape[0], in, error) ||
      !checkPool(dy, in, a, error))
    return false;
  const int64_t h = in[2], w = in[3];
  const int64_t oh = dy.shape[2], ow = dy.shape[3];
  const double area = double(a.kernel[0]) * double(a.kernel[1]);
  std::vector<double> acc(resc::checkedNumel(in), 0.0);
  for (int64_t p = 0; p < in[0] * in[1]; ++p)
    for (int64_t i = 0; i < oh; ++i)
      for (int64_t j = 0; j < ow; ++j) {
        double share = dy.data[(p * oh + i) * ow + j] / area;
        for (int64_t ki = 0; ki < a.kernel[0]; ++ki)
          for (int64_t kj = 0; kj < a.kernel[1]; ++kj) {
            int64_t hi = i * a.stride[0] - a.padding[0] + ki;
            int64_t wj = j * a.stride[1] - a.padding[1] + kj;
            if (hi >= 0 && hi < h && wj >= 0 && wj < w)
              acc[(p * h + hi) * w + wj] += share;
          }
      }
  out = fromDouble(in, acc);
  return true;
}

bool globalAvgPoolGrad(const Tensor &dy, const Shape &outShape, Tensor &out,
                       std::string &error) {
  Shape in;
  if (!hasRank(dy, "dy", 2, error) ||
      !resolveShape(outShape, 4, dy.shape[0], in, error))
    return false;
  if (in[1] != dy.shape[1]) {
    error = "dy " + str(dy.shape) + " has " + num(dy.shape[1]) +
            " channels but the result shape " + str(outShape) + " has " +
            num(in[1]);
    return false;
  }
  const int64_t hw = in[2] * in[3];
  if (hw == 0) {
    error = "result shape " + str(outShape) + " has no pixels";
    return false;
  }
  out = Tensor(in);
  for (int64_t p = 0; p < in[0] * in[1]; ++p) {
    float share = static_cast<float>(double(dy.data[p]) / double(hw));
    std::fill_n(out.data.data() + p * hw, hw, share);
  }
  return true;
}

bool upsampleGrad(const Tensor &dy, int64_t factor, Tensor &out,
                  std::string &error) {
  if (!hasRank(dy, "dy", 4, error))
    return false;
  if (factor < 1 || factor > kMaxAttr) {
    error = "factor must be in [1, " + num(kMaxAttr) + "], got " + num(factor);
    return false;
  }
  const int64_t h = dy.shape[2], w = dy.shape[3];
  if (h % factor != 0 || w % factor != 0) {
    error = "dy " + str(dy.shape) + " is not a multiple of the factor " +
            num(factor) + " in H and W";
    return false;
  }
  const int64_t sh = h / factor, sw = w / factor;
  std::vector<double> acc(dy.numel() / (factor * factor), 0.0);
  for (int64_t p = 0; p < dy.shape[0] * dy.shape[1]; ++p)
    for (int64_t i = 0; i < h; ++i)
      for (int64_t j = 0; j < w; ++j)
        acc[(p * sh + i / factor) * sw + j / factor] +=
            dy.data[(p * h + i) * w + j];
  out = fromDouble({dy.shape[0], dy.shape[1], sh, sw}, acc);
  return true;
}

} // namespace kernels
} // namespace res
