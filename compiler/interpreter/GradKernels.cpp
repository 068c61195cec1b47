// Naive loops on purpose, like Kernels.cpp: these are the oracle the
// generated backward code is checked against. Every sum runs in double; the
// window gradients gather (or scatter into a double buffer) so that no sum is
// rounded to float before it is complete.
#include "compiler/interpreter/GradKernels.h"

#include "dialect/ResDialect.h"
#include "dialect/ShapeRules.h"

#include <algorithm>
#include <cmath>
#include <limits>

using resc::Tensor;

namespace res {
namespace kernels {
namespace {

// As in Kernels.cpp: larger window attributes can only come from hostile IR
// and would overflow the index arithmetic.
constexpr int64_t kMaxAttr = int64_t(1) << 24;

constexpr double kPi = 3.14159265358979323846;

using Shape = std::vector<int64_t>;

std::string str(const Shape &shape) { return resc::shapeToString(shape); }
std::string num(int64_t v) { return std::to_string(v); }

bool wellFormed(const Tensor &t, const char *what, std::string &error) {
  int64_t n = resc::checkedNumel(t.shape);
  if (n < 0 || n != t.numel()) {
    error = std::string(what) + " has shape " + str(t.shape) + " but " +
            num(t.numel()) + " elements";
    return false;
  }
  return true;
}

bool hasRank(const Tensor &t, const char *what, int64_t rank,
             std::string &error) {
  if (!wellFormed(t, what, error))
    return false;
  if (t.rank() != rank) {
    error = std::string(what) + " must have rank " + num(rank) +
            ", got shape " + str(t.shape);
    return false;
  }
  return true;
}

/// Rank >= 2, so that dim 1 is the channel.
bool hasChannels(const Tensor &t, const char *what, std::string &error) {
  if (!wellFormed(t, what, error))
    return false;
  if (t.rank() < 2) {
    error = std::string(what) + " " + str(t.shape) +
            " has no channel dimension (dim 1)";
    return false;
  }
  return true;
}

bool isVector(const Tensor &t, const char *what, int64_t size,
              std::string &error) {
  if (!hasRank(t, what, 1, error))
    return false;
  if (t.shape[0] != size) {
    error = std::string(what) + " has shape " + str(t.shape) + ", expected [" +
            num(size) + "]";
    return false;
  }
  return true;
}

bool sameShape(const Tensor &a, const char *aName, const Tensor &b,
               const char *bName, std::string &error) {
  if (!wellFormed(a, aName, error) || !wellFormed(b, bName, error))
    return false;
  if (a.shape != b.shape) {
    error = std::string(aName) + " has shape " + str(a.shape) + " but " +
            bName + " has shape " + str(b.shape) + "; they must match";
    return false;
  }
  return true;
}

bool pairInRange(const Pair &p, const char *what, int64_t minimum,
                 std::string &error) {
  for (int64_t v : p)
    if (v < minimum || v > kMaxAttr) {
      error = std::string(what) + " must be in [" + num(minimum) + ", " +
              num(kMaxAttr) + "], got " + num(v);
      return false;
    }
  return true;
}

bool allocate(const Shape &shape, Tensor &out, std::string &error) {
  if (resc::checkedNumel(shape) < 0) {
    error = "result shape " + str(shape) + " is too large";
    return false;
  }
  out = Tensor(shape);
  return true;
}

/// The result shape from the op's result type: `rank` dims, the batch taken
/// from the operands when dynamic, every other dim static.
bool resolveShape(const Shape &outShape, size_t rank, int64_t batch,
                  Shape &resolved, std::string &error) {
  if (outShape.size() != rank) {
    error = "result shape " + str(outShape) + " must have rank " +
            num(int64_t(rank));
    return false;
  }
  resolved = outShape;
  if (resolved[0] < 0)
    resolved[0] = batch;
  else if (resolved[0] != batch) {
    error = "result shape " + str(outShape) + " has batch " + num(outShape[0]) +
            " but the operands have batch " + num(batch);
    return false;
  }
  for (size_t i = 1; i < rank; ++i)
    if (resolved[i] < 0) {
      error = "result shape " + str(outShape) +
              " must be static except for "
              "the batch dim";
      return false;
    }
  if (resc::checkedNumel(resolved) < 0) {
    error = "result shape " + str(outShape) + " is too large";
    return false;
  }
  return true;
}

/// Elements per channel of x (rank >= 2, at least one channel).
int64_t perChannel(const Tensor &x) { return x.numel() / x.shape[1]; }

/// The channel of flat index i of x.
struct ChannelIndex {
  int64_t channels, inner;
  explicit ChannelIndex(const Tensor &x) : channels(x.shape[1]), inner(1) {
    for (int64_t i = 2; i < x.rank(); ++i)
      inner *= x.shape[i];
  }
  int64_t operator()(int64_t i) const { return (i / inner) % channels; }
};

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

Tensor fromDouble(const Shape &shape, const std::vector<double> &acc) {
  Tensor out(shape);
  for (size_t i = 0; i < acc.size(); ++i)
    out.data[i] = static_cast<float>(acc[i]);
  return out;
}

} // namespace

bool channelMean(const Tensor &x, Tensor &out, std::string &error) {
  if (!hasChannels(x, "input", error))
    return false;
  const int64_t c = x.shape[1];
  if (c == 0) {
    out = Tensor({0});
    return true;
  }
  const int64_t n = perChannel(x);
  if (n == 0) {
    error = "input " + str(x.shape) + " has no values per channel to average";
    return false;
  }
  std::vector<double> sum(c, 0.0);
  ChannelIndex channel(x);
  for (int64_t i = 0; i < x.numel(); ++i)
    sum[channel(i)] += x.data[i];
  for (double &s : sum)
    s /= double(n);
  out = fromDouble({c}, sum);
  return true;
}

bool channelVar(const Tensor &x, const Tensor &mean, bool unbiased, Tensor &out,
                std::string &error) {
  if (!hasChannels(x, "input", error))
    return false;
  const int64_t c = x.shape[1];
  if (!isVector(mean, "mean", c, error))
    return false;
  if (c == 0) {
    out = Tensor({0});
    return true;
  }
  const int64_t n = perChannel(x);
  if (n < 2) {
    error = "batch norm in training needs more than one value per channel, "
            "got input " +
            str(x.shape);
    return false;
  }
  std::vector<double> sum(c, 0.0);
  ChannelIndex channel(x);
  for (int64_t i = 0; i < x.numel(); ++i) {
    int64_t ch = channel(i);
    double d = double(x.data[i]) - mean.data[ch];
    sum[ch] += d * d;
  }
  for (double &s : sum)
    s /= double(unbiased ? n - 1 : n);
  out = fromDouble({c}, sum);
  return true;
}

bool lerp(const Tensor &oldValue, const Tensor &newValue, double momentum,
          Tensor &out, std::string &error) {
  if (!sameShape(oldValue, "old", newValue, "new", error))
    return false;
  out = Tensor(oldValue.shape);
  for (int64_t i = 0; i < out.numel(); ++i)
    out.data[i] = static_cast<float>((1.0 - momentum) * oldValue.data[i] +
                                     momentum * newValue.data[i]);
  return true;
}

namespace {

/// The checks shared by the two batch-norm gradients; `gamma` may be null.
bool checkBatchNormGrad(const Tensor &dy, const Tensor &x, const Tensor *gamma,
                        const Tensor &mean, const Tensor &var, double epsilon,
                        std::string &error) {
  if (!hasChannels(x, "input", error) ||
      !sameShape(dy, "dy", x, "input", error))
    return false;
  const int64_t c = x.shape[1];
  if ((gamma && !isVector(*gamma, "weight", c, error)) ||
      !isVector(mean, "mean", c, error) || !isVector(var, "var", c, error))
    return false;
  if (!(epsilon > 0)) {
    error = "epsilon must be positive";
    return false;
  }
  return true;
}

/// Per channel: r = 1 / sqrt(var + eps), sum(dy), sum(dy * xhat).
struct BatchNormSums {
  std::vector<double> r, sumDy, sumDyXhat;
  BatchNormSums(const Tensor &dy, const Tensor &x, const Tensor &mean,
                const Tensor &var, double epsilon) {
    const int64_t c = x.shape[1];
    r.resize(c);
    sumDy.assign(c, 0.0);
    sumDyXhat.assign(c, 0.0);
    for (int64_t ch = 0; ch < c; ++ch)
      r[ch] = 1.0 / std::sqrt(double(var.data[ch]) + epsilon);
    ChannelIndex channel(x);
    for (int64_t i = 0; i < x.numel(); ++i) {
      int64_t ch = channel(i);
      sumDy[ch] += dy.data[i];
      sumDyXhat[ch] +=
          double(dy.data[i]) * (double(x.data[i]) - mean.data[ch]) * r[ch];
    }
  }
};

} // namespace

bool batchNormGrad(const Tensor &dy, const Tensor &x, const Tensor &gamma,
                   const Tensor &mean, const Tensor &var, double epsilon,
                   Tensor &out, std::string &error) {
  if (!checkBatchNormGrad(dy, x, &gamma, mean, var, epsilon, error))
    return false;
  out = Tensor(x.shape);
  if (x.numel() == 0)
    return true;
  const double n = double(perChannel(x));
  BatchNormSums sums(dy, x, mean, var, epsilon);
  ChannelIndex channel(x);
  for (int64_t i = 0; i < x.numel(); ++i) {
    int64_t ch = channel(i);
    double r = sums.r[ch];
    double xhat = (double(x.data[i]) - mean.data[ch]) * r;
    out.data[i] = static_cast<float>(
        double(gamma.data[ch]) * r / n *
        (n * dy.data[i] - sums.sumDy[ch] - xhat * sums.sumDyXhat[ch]));
  }
  return true;
}

bool batchNormGradGamma(const Tensor &dy, const Tensor &x, const Tensor &mean,
                        const Tensor &var, double epsilon, Tensor &out,
                        std::string &error) {
  if (!checkBatchNormGrad(dy, x, nullptr, mean, var, epsilon, error))
    return false;
  out = fromDouble({x.shape[1]},
                   BatchNormSums(dy, x, mean, var, epsilon).sumDyXhat);
  return true;
}

bool channelSum(const Tensor &dy, Tensor &out, std::string &error) {
  if (!hasChannels(dy, "dy", error))
    return false;
  const int64_t c = dy.shape[1];
  std::vector<double> sum(c, 0.0);
  if (c > 0) {
    ChannelIndex channel(dy);
    for (int64_t i = 0; i < dy.numel(); ++i)
      sum[channel(i)] += dy.data[i];
  }
  out = fromDouble({c}, sum);
  return true;
}

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
  if (outShape.size() != 4 || outShape[0] < 0 || outShape[1] < 0 ||
      outShape[2] < 0 || outShape[3] < 0) {
    error = "the weight gradient's shape " + str(outShape) +
            " must be static [O, C/groups, KH, KW]";
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

bool denseGradInput(const Tensor &dy, const Tensor &w, Tensor &out,
                    std::string &error) {
  if (!hasRank(dy, "dy", 2, error) || !hasRank(w, "weight", 2, error))
    return false;
  const int64_t n = dy.shape[0], o = dy.shape[1], in = w.shape[1];
  if (w.shape[0] != o) {
    error = "dy " + str(dy.shape) + " has " + num(o) +
            " features but the weight " + str(w.shape) + " has " +
            num(w.shape[0]) + " outputs";
    return false;
  }
  out = Tensor({n, in});
  for (int64_t b = 0; b < n; ++b)
    for (int64_t k = 0; k < in; ++k) {
      double acc = 0;
      for (int64_t j = 0; j < o; ++j)
        acc += double(dy.data[b * o + j]) * w.data[j * in + k];
      out.data[b * in + k] = static_cast<float>(acc);
    }
  return true;
}

bool denseGradWeight(const Tensor &x, const Tensor &dy, Tensor &out,
                     std::string &error) {
  if (!hasRank(x, "input", 2, error) || !hasRank(dy, "dy", 2, error))
    return false;
  const int64_t n = x.shape[0], in = x.shape[1], o = dy.shape[1];
  if (dy.shape[0] != n) {
    error = "dy " + str(dy.shape) + " and the input " + str(x.shape) +
            " have different batch sizes";
    return false;
  }
  out = Tensor({o, in});
  for (int64_t j = 0; j < o; ++j)
    for (int64_t k = 0; k < in; ++k) {
      double acc = 0;
      for (int64_t b = 0; b < n; ++b)
        acc += double(dy.data[b * o + j]) * x.data[b * in + k];
      out.data[j * in + k] = static_cast<float>(acc);
    }
  return true;
}

bool activationGrad(Activation kind, const Tensor &dy, const Tensor &x,
                    Tensor &out, std::string &error) {
  if (!sameShape(dy, "dy", x, "input", error))
    return false;
  if (!symbolizeActivation(static_cast<uint32_t>(kind))) {
    error = "unknown activation " + num(static_cast<uint32_t>(kind));
    return false;
  }
  auto derivative = [kind](double v) -> double {
    switch (kind) {
    case Activation::identity:
      return 1.0;
    case Activation::relu:
      return v > 0 ? 1.0 : 0.0;
    case Activation::sigmoid: {
      double s = 1.0 / (1.0 + std::exp(-v));
      return s * (1.0 - s);
    }
    case Activation::tanh: {
      double t = std::tanh(v);
      return 1.0 - t * t;
    }
    case Activation::gelu: {
      // Phi(v) + v * phi(v), the derivative of the exact erf form.
      double cdf = 0.5 * (1.0 + std::erf(v / std::sqrt(2.0)));
      double pdf = std::exp(-0.5 * v * v) / std::sqrt(2.0 * kPi);
      return cdf + v * pdf;
    }
    }
    return std::nan("");
  };
  out = Tensor(x.shape);
  for (int64_t i = 0; i < x.numel(); ++i)
    out.data[i] = static_cast<float>(dy.data[i] * derivative(x.data[i]));
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
        // checkPool's padding rule leaves every window an in-bounds element.
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

bool reshape(const Tensor &x, const Shape &outShape, Tensor &out,
             std::string &error) {
  if (!wellFormed(x, "input", error))
    return false;
  if (x.rank() < 1) {
    error = "input must have a batch dimension";
    return false;
  }
  Shape shape;
  if (outShape.empty()) {
    error = "result shape must have a batch dimension";
    return false;
  }
  if (!resolveShape(outShape, outShape.size(), x.shape[0], shape, error))
    return false;
  Shape sample(x.shape.begin() + 1, x.shape.end());
  Shape outSample(shape.begin() + 1, shape.end());
  if (resc::checkedNumel(sample) != resc::checkedNumel(outSample)) {
    error = "cannot reshape " + str(x.shape) + " to " + str(outShape) +
            ": the elements per sample differ";
    return false;
  }
  out.shape = shape;
  out.data = x.data;
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

bool sliceChannels(const Tensor &x, int64_t offset, int64_t channels,
                   Tensor &out, std::string &error) {
  if (!hasChannels(x, "input", error))
    return false;
  const int64_t c = x.shape[1];
  if (offset < 0 || channels < 0 || offset > c || channels > c - offset) {
    error = "channels [" + num(offset) + ", " + num(offset) + " + " +
            num(channels) + ") are not within the " + num(c) +
            " channels of the input " + str(x.shape);
    return false;
  }
  Shape shape = x.shape;
  shape[1] = channels;
  out = Tensor(shape);
  const int64_t n = x.shape[0];
  if (n == 0 || c == 0)
    return true;
  const int64_t inner = x.numel() / (n * c);
  for (int64_t b = 0; b < n; ++b)
    std::copy_n(x.data.data() + (b * c + offset) * inner, channels * inner,
                out.data.data() + b * channels * inner);
  return true;
}

bool scale(const Tensor &x, double factor, Tensor &out, std::string &error) {
  if (!wellFormed(x, "input", error))
    return false;
  out = Tensor(x.shape);
  for (int64_t i = 0; i < x.numel(); ++i)
    out.data[i] = static_cast<float>(factor * x.data[i]);
  return true;
}

bool softmaxGrad(const Tensor &dy, const Tensor &y, Tensor &out,
                 std::string &error) {
  if (!sameShape(dy, "dy", y, "output", error))
    return false;
  if (y.rank() < 1) {
    error = "output must have at least 1 dimension";
    return false;
  }
  out = Tensor(y.shape);
  const int64_t len = y.shape.back();
  const int64_t rows = len == 0 ? 0 : y.numel() / len;
  for (int64_t r = 0; r < rows; ++r) {
    const float *g = dy.data.data() + r * len;
    const float *p = y.data.data() + r * len;
    double dot = 0;
    for (int64_t i = 0; i < len; ++i)
      dot += double(g[i]) * p[i];
    for (int64_t i = 0; i < len; ++i)
      out.data[r * len + i] = static_cast<float>(p[i] * (g[i] - dot));
  }
  return true;
}

} // namespace kernels
} // namespace res
