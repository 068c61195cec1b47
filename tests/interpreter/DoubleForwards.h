// The forward ops of Kernels.h once more, in double and as plainly as
// possible, for the finite differences of the gradient checks (the float
// kernels would drown a difference quotient in rounding). Each test first
// checks that the float kernel computes the same function.
#ifndef RESC_TESTS_INTERPRETER_DOUBLEFORWARDS_H
#define RESC_TESTS_INTERPRETER_DOUBLEFORWARDS_H

#include "GradCheckUtil.h"

#include "compiler/interpreter/Kernels.h"
#include "dialect/ResDialect.h"
#include "dialect/ShapeRules.h"

#include <limits>

namespace res::gradcheck::ref {

using kernels::Conv2DAttrs;
using kernels::Pool2DAttrs;

/// Elements per sample-channel plane of a rank >= 2 tensor.
inline int64_t inner(const DTensor &x) {
  int64_t n = 1;
  for (size_t i = 2; i < x.shape.size(); ++i)
    n *= x.shape[i];
  return n;
}

inline DTensor conv2d(const DTensor &x, const DTensor &w, const DTensor *bias,
                      const Conv2DAttrs &a) {
  const int64_t n = x.shape[0], c = x.shape[1], h = x.shape[2], wd = x.shape[3];
  const int64_t o = w.shape[0], cg = w.shape[1], kh = w.shape[2],
                kw = w.shape[3];
  const int64_t oh =
      windowOutputSize(h, kh, a.stride[0], a.padding[0], a.dilation[0]);
  const int64_t ow =
      windowOutputSize(wd, kw, a.stride[1], a.padding[1], a.dilation[1]);
  const int64_t og = o / a.groups;
  DTensor y({n, o, oh, ow});
  for (int64_t b = 0; b < n; ++b)
    for (int64_t oc = 0; oc < o; ++oc)
      for (int64_t i = 0; i < oh; ++i)
        for (int64_t j = 0; j < ow; ++j) {
          double acc = bias ? bias->data[oc] : 0.0;
          for (int64_t ic = 0; ic < cg; ++ic)
            for (int64_t ki = 0; ki < kh; ++ki)
              for (int64_t kj = 0; kj < kw; ++kj) {
                int64_t hi =
                    i * a.stride[0] - a.padding[0] + ki * a.dilation[0];
                int64_t wj =
                    j * a.stride[1] - a.padding[1] + kj * a.dilation[1];
                if (hi < 0 || hi >= h || wj < 0 || wj >= wd)
                  continue;
                int64_t xc = (oc / og) * cg + ic;
                acc += x.data[((b * c + xc) * h + hi) * wd + wj] *
                       w.data[((oc * cg + ic) * kh + ki) * kw + kj];
              }
          y.data[((b * o + oc) * oh + i) * ow + j] = acc;
        }
  return y;
}

/// Training-mode batch norm: normalised with the batch's own mean and biased
/// variance, so the gradient flows through both statistics.
inline DTensor batchNormTrain(const DTensor &x, const DTensor &gamma,
                              const DTensor &beta, double epsilon) {
  const int64_t c = x.shape[1], in = inner(x), n = x.numel() / c;
  std::vector<double> mean(c, 0.0), var(c, 0.0);
  for (int64_t i = 0; i < x.numel(); ++i)
    mean[(i / in) % c] += x.data[i] / n;
  for (int64_t i = 0; i < x.numel(); ++i) {
    double d = x.data[i] - mean[(i / in) % c];
    var[(i / in) % c] += d * d / n;
  }
  DTensor y(x.shape);
  for (int64_t i = 0; i < x.numel(); ++i) {
    int64_t ch = (i / in) % c;
    y.data[i] =
        (x.data[i] - mean[ch]) / std::sqrt(var[ch] + epsilon) * gamma.data[ch] +
        beta.data[ch];
  }
  return y;
}

inline double activate(Activation kind, double v) {
  switch (kind) {
  case Activation::identity:
    return v;
  case Activation::relu:
    return v > 0 ? v : 0.0;
  case Activation::sigmoid:
    return 1.0 / (1.0 + std::exp(-v));
  case Activation::tanh:
    return std::tanh(v);
  case Activation::gelu:
    return 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
  case Activation::relu6:
    return std::min(std::max(v, 0.0), 6.0);
  case Activation::hardsigmoid:
    return std::min(std::max(v + 3, 0.0), 6.0) / 6;
  case Activation::hardswish:
    return v * std::min(std::max(v + 3, 0.0), 6.0) / 6;
  case Activation::silu:
    return v / (1.0 + std::exp(-v));
  }
  return std::nan("");
}

inline DTensor activation(Activation kind, const DTensor &x) {
  DTensor y(x.shape);
  for (int64_t i = 0; i < x.numel(); ++i)
    y.data[i] = activate(kind, x.data[i]);
  return y;
}

/// Folds each window's in-bounds elements with `step` from `init`.
template <typename Step>
DTensor pool(const DTensor &x, const Pool2DAttrs &a, double init, Step step,
             double divisor) {
  const int64_t n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
  const int64_t oh =
      windowOutputSize(h, a.kernel[0], a.stride[0], a.padding[0]);
  const int64_t ow =
      windowOutputSize(w, a.kernel[1], a.stride[1], a.padding[1]);
  DTensor y({n, c, oh, ow});
  for (int64_t p = 0; p < n * c; ++p)
    for (int64_t i = 0; i < oh; ++i)
      for (int64_t j = 0; j < ow; ++j) {
        double acc = init;
        for (int64_t ki = 0; ki < a.kernel[0]; ++ki)
          for (int64_t kj = 0; kj < a.kernel[1]; ++kj) {
            int64_t hi = i * a.stride[0] - a.padding[0] + ki;
            int64_t wj = j * a.stride[1] - a.padding[1] + kj;
            if (hi >= 0 && hi < h && wj >= 0 && wj < w)
              acc = step(acc, x.data[(p * h + hi) * w + wj]);
          }
        y.data[(p * oh + i) * ow + j] = acc / divisor;
      }
  return y;
}

inline DTensor maxPool2d(const DTensor &x, const Pool2DAttrs &a) {
  return pool(
      x, a, -std::numeric_limits<double>::infinity(),
      [](double acc, double v) { return std::max(acc, v); }, 1.0);
}

/// count_include_pad: always divided by the full window.
inline DTensor avgPool2d(const DTensor &x, const Pool2DAttrs &a) {
  return pool(
      x, a, 0.0, [](double acc, double v) { return acc + v; },
      double(a.kernel[0] * a.kernel[1]));
}

inline DTensor globalAvgPool(const DTensor &x) {
  const int64_t hw = inner(x);
  DTensor y({x.shape[0], x.shape[1]});
  for (int64_t i = 0; i < x.numel(); ++i)
    y.data[i / hw] += x.data[i] / hw;
  return y;
}

inline DTensor flatten(const DTensor &x) {
  DTensor y = x;
  y.shape = {x.shape[0], x.numel() / x.shape[0]};
  return y;
}

/// On [N, I] or, per pixel, on [N, I, H, W].
inline DTensor dense(const DTensor &x, const DTensor &w, const DTensor *bias) {
  const int64_t n = x.shape[0], in = x.shape[1], o = w.shape[0];
  const int64_t hw = x.shape.size() == 4 ? x.shape[2] * x.shape[3] : 1;
  std::vector<int64_t> shape = x.shape;
  shape[1] = o;
  DTensor y(shape);
  for (int64_t b = 0; b < n; ++b)
    for (int64_t j = 0; j < o; ++j)
      for (int64_t p = 0; p < hw; ++p) {
        double acc = bias ? bias->data[j] : 0.0;
        for (int64_t k = 0; k < in; ++k)
          acc += x.data[(b * in + k) * hw + p] * w.data[j * in + k];
        y.data[(b * o + j) * hw + p] = acc;
      }
  return y;
}

inline DTensor upsample(const DTensor &x, int64_t f) {
  const int64_t h = x.shape[2], w = x.shape[3];
  DTensor y({x.shape[0], x.shape[1], h * f, w * f});
  for (int64_t p = 0; p < x.shape[0] * x.shape[1]; ++p)
    for (int64_t i = 0; i < h * f; ++i)
      for (int64_t j = 0; j < w * f; ++j)
        y.data[(p * h * f + i) * w * f + j] =
            x.data[(p * h + i / f) * w + j / f];
  return y;
}

/// `b` may have fewer channels; it then adds to `a`'s first ones.
inline DTensor add(const DTensor &a, const DTensor &b) {
  DTensor y = a;
  const int64_t in = inner(a), ca = a.shape[1], cb = b.shape[1];
  for (int64_t s = 0; s < a.shape[0]; ++s)
    for (int64_t k = 0; k < cb * in; ++k)
      y.data[s * ca * in + k] += b.data[s * cb * in + k];
  return y;
}

inline DTensor concat(const DTensor &a, const DTensor &b) {
  Shape shape = a.shape;
  shape[1] += b.shape[1];
  DTensor y(shape);
  const int64_t ra = a.numel() / a.shape[0], rb = b.numel() / b.shape[0];
  for (int64_t s = 0; s < a.shape[0]; ++s) {
    std::copy_n(a.data.begin() + s * ra, ra, y.data.begin() + s * (ra + rb));
    std::copy_n(b.data.begin() + s * rb, rb,
                y.data.begin() + s * (ra + rb) + ra);
  }
  return y;
}

/// Over the last dim.
inline DTensor softmax(const DTensor &x) {
  DTensor y(x.shape);
  const int64_t len = x.shape.back();
  for (int64_t r = 0; r < x.numel() / len; ++r) {
    double sum = 0;
    for (int64_t i = 0; i < len; ++i)
      sum += std::exp(x.data[r * len + i]);
    for (int64_t i = 0; i < len; ++i)
      y.data[r * len + i] = std::exp(x.data[r * len + i]) / sum;
  }
  return y;
}

/// Over C of [N, C, H, W] (per pixel) or D of [N, D]; `weight` and `bias`
/// empty for no affine.
inline DTensor layerNorm(const DTensor &x, const DTensor *weight,
                         const DTensor *bias, double epsilon) {
  DTensor y(x.shape);
  const int64_t len = x.shape[1];
  const int64_t inner = x.numel() / (x.shape[0] * len);
  for (int64_t n = 0; n < x.shape[0]; ++n)
    for (int64_t k = 0; k < inner; ++k) {
      auto at = [&](int64_t i) { return (n * len + i) * inner + k; };
      double mean = 0, var = 0;
      for (int64_t i = 0; i < len; ++i)
        mean += x.data[at(i)];
      mean /= double(len);
      for (int64_t i = 0; i < len; ++i)
        var += (x.data[at(i)] - mean) * (x.data[at(i)] - mean);
      var /= double(len);
      for (int64_t i = 0; i < len; ++i) {
        double v = (x.data[at(i)] - mean) / std::sqrt(var + epsilon);
        y.data[at(i)] = weight ? v * weight->data[i] + bias->data[i] : v;
      }
    }
  return y;
}

/// x * s per channel (dim 1), s of C elements ([C, 1, 1] or [C]).
inline DTensor channelScale(const DTensor &x, const DTensor &s) {
  DTensor y(x.shape);
  const int64_t len = x.shape[1];
  const int64_t inner = x.numel() / (x.shape[0] * len);
  for (int64_t i = 0; i < x.numel(); ++i)
    y.data[i] = x.data[i] * s.data[(i / inner) % len];
  return y;
}

inline DTensor residualSum(const DTensor &s, const DTensor &f,
                           double branchScale, double outputScale) {
  DTensor y(s.shape);
  for (int64_t i = 0; i < s.numel(); ++i)
    y.data[i] = outputScale * (s.data[i] + branchScale * f.data[i]);
  return y;
}

} // namespace res::gradcheck::ref

#endif
