// The gradient kernels that are not window ops: batch statistics and the
// batch-norm gradients, reductions, dense, activations, and the data-movement
// ops. Naive loops on purpose, like Kernels.cpp: these are the oracle the
// generated backward code is checked against; every sum runs in double.
#include "compiler/interpreter/GradKernelChecks.h"
#include "compiler/interpreter/Kernels.h"

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

constexpr double kPi = 3.14159265358979323846;

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
            str(x.shape) + ": train on a batch of 2 or more";
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
  if (dy.rank() == 3) {
    // Tokens: per feature over the batch and the tokens.
    FeatureLayout l;
    if (!featureLayout(dy, "dy", l, error))
      return false;
    std::vector<double> sum(l.features, 0.0);
    for (int64_t i = 0; i < dy.numel(); ++i)
      sum[i % l.features] += dy.data[i];
    out = fromDouble({l.features}, sum);
    return true;
  }
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

bool denseGradInput(const Tensor &dy, const Tensor &w, Tensor &out,
                    std::string &error) {
  FeatureLayout l;
  if (!featureLayout(dy, "dy", l, error) || !hasRank(w, "weight", 2, error))
    return false;
  const int64_t o = l.features, in = w.shape[1], inner = l.inner;
  if (w.shape[0] != o) {
    error = "dy " + str(dy.shape) + " has " + num(o) +
            " features but the weight " + str(w.shape) + " has " +
            num(w.shape[0]) + " outputs";
    return false;
  }
  Shape shape = dy.shape;
  shape[l.dim] = in;
  if (!allocate(shape, out, error))
    return false;
  for (int64_t b = 0; b < l.outer; ++b)
    for (int64_t k = 0; k < in; ++k)
      for (int64_t p = 0; p < inner; ++p) {
        double acc = 0;
        for (int64_t j = 0; j < o; ++j)
          acc += double(dy.data[(b * o + j) * inner + p]) * w.data[j * in + k];
        out.data[(b * in + k) * inner + p] = static_cast<float>(acc);
      }
  return true;
}

bool denseGradWeight(const Tensor &x, const Tensor &dy, Tensor &out,
                     std::string &error) {
  FeatureLayout lx, ly;
  if (!featureLayout(x, "input", lx, error) ||
      !featureLayout(dy, "dy", ly, error))
    return false;
  Shape xs = x.shape, ys = dy.shape;
  xs[lx.dim] = ys[ly.dim] = 0;
  if (xs != ys) {
    error = "dy " + str(dy.shape) + " and the input " + str(x.shape) +
            " differ in more than their features";
    return false;
  }
  const int64_t in = lx.features, o = ly.features, inner = lx.inner;
  out = Tensor({o, in});
  for (int64_t j = 0; j < o; ++j)
    for (int64_t k = 0; k < in; ++k) {
      double acc = 0;
      for (int64_t b = 0; b < lx.outer; ++b)
        for (int64_t p = 0; p < inner; ++p)
          acc += double(dy.data[(b * o + j) * inner + p]) *
                 x.data[(b * in + k) * inner + p];
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
    case Activation::relu6:
      return v > 0 && v < 6 ? 1.0 : 0.0;
    case Activation::hardsigmoid:
      return v > -3 && v < 3 ? 1.0 / 6 : 0.0;
    case Activation::hardswish:
      return v < -3 ? 0.0 : v <= 3 ? v / 3 + 0.5 : 1.0;
    case Activation::silu: {
      double s = 1.0 / (1.0 + std::exp(-v));
      return s * (1.0 + v * (1.0 - s));
    }
    }
    return std::nan("");
  };
  out = Tensor(x.shape);
  for (int64_t i = 0; i < x.numel(); ++i)
    out.data[i] = static_cast<float>(dy.data[i] * derivative(x.data[i]));
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

bool channelMulGradGate(const Tensor &dy, const Tensor &x,
                        const std::vector<int64_t> &gateShape, Tensor &out,
                        std::string &error) {
  if (!hasRank(x, "input", 4, error) || !hasRank(dy, "dy", 4, error))
    return false;
  if (dy.shape != x.shape) {
    error = "dy " + str(dy.shape) + " and the input " + str(x.shape) +
            " must have one shape";
    return false;
  }
  const int64_t n = x.shape[0], c = x.shape[1], hw = x.shape[2] * x.shape[3];
  if (resc::checkedNumel(gateShape) != n * c) {
    error = "the gate's gradient " + str(gateShape) +
            " must have N x C = " + num(n * c) + " elements";
    return false;
  }
  out = Tensor(gateShape);
  for (int64_t p = 0; p < n * c; ++p) {
    double sum = 0;
    for (int64_t i = 0; i < hw; ++i)
      sum += double(dy.data[p * hw + i]) * x.data[p * hw + i];
    out.data[p] = static_cast<float>(sum);
  }
  return true;
}

bool layerNormGrad(const Tensor &dy, const Tensor &x, const Tensor *weight,
                   double epsilon, Tensor &out, std::string &error) {
  FeatureLayout r;
  if (!normLayout(x, r, error) || !sameShape(dy, "dy", x, "the input", error) ||
      (weight && !isVector(*weight, "weight", r.features, error)) ||
      !checkLayerNormEpsilon(epsilon, error))
    return false;
  out = Tensor(x.shape);
  std::vector<double> g(r.features), xhat(r.features);
  for (int64_t o = 0; o < r.outer; ++o)
    for (int64_t k = 0; k < r.inner; ++k) {
      auto [mean, rstd] = layerNormStats(x, r, o, k, epsilon);
      double meanG = 0, meanGX = 0;
      for (int64_t i = 0; i < r.features; ++i) {
        xhat[i] = (x.data[r.at(o, i, k)] - mean) * rstd;
        g[i] = double(dy.data[r.at(o, i, k)]) * (weight ? weight->data[i] : 1);
        meanG += g[i];
        meanGX += g[i] * xhat[i];
      }
      meanG /= double(r.features);
      meanGX /= double(r.features);
      for (int64_t i = 0; i < r.features; ++i)
        out.data[r.at(o, i, k)] =
            static_cast<float>(rstd * (g[i] - meanG - xhat[i] * meanGX));
    }
  return true;
}

bool layerNormGradWeight(const Tensor &dy, const Tensor &x, double epsilon,
                         Tensor &out, std::string &error) {
  FeatureLayout r;
  if (!normLayout(x, r, error) || !sameShape(dy, "dy", x, "the input", error) ||
      !checkLayerNormEpsilon(epsilon, error))
    return false;
  std::vector<double> sum(r.features, 0.0);
  for (int64_t o = 0; o < r.outer; ++o)
    for (int64_t k = 0; k < r.inner; ++k) {
      auto [mean, rstd] = layerNormStats(x, r, o, k, epsilon);
      for (int64_t i = 0; i < r.features; ++i)
        sum[i] += double(dy.data[r.at(o, i, k)]) *
                  ((x.data[r.at(o, i, k)] - mean) * rstd);
    }
  out = fromDouble({r.features}, sum);
  return true;
}

bool channelScaleGradScale(const Tensor &dy, const Tensor &x,
                           const std::vector<int64_t> &scaleShape, Tensor &out,
                           std::string &error) {
  FeatureLayout r;
  if (!normLayout(x, r, error) || !sameShape(dy, "dy", x, "the input", error))
    return false;
  if (scaleShape != channelScaleShape(x.shape)) {
    error = "the scale's gradient " + str(scaleShape) +
            " does not fit the input " + str(x.shape) + ": expected " +
            str(channelScaleShape(x.shape));
    return false;
  }
  std::vector<double> sum(r.features, 0.0);
  for (int64_t o = 0; o < r.outer; ++o)
    for (int64_t i = 0; i < r.features; ++i)
      for (int64_t k = 0; k < r.inner; ++k)
        sum[i] += double(dy.data[r.at(o, i, k)]) * x.data[r.at(o, i, k)];
  out = fromDouble(scaleShape, sum);
  return true;
}

} // namespace kernels
} // namespace res
