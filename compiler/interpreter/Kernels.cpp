// Naive loops on purpose: this is the oracle the fast code is checked
// against. Sums run in double so that the oracle's own rounding stays well
// below the tolerance of the tests that compare against it.
#include "compiler/interpreter/Kernels.h"

#include "dialect/ResDialect.h"
#include "dialect/ShapeRules.h"

#include <algorithm>
#include <cmath>
#include <limits>

using resc::Tensor;

namespace res {
namespace kernels {
namespace {

// Larger window attributes can only come from hostile IR, and would overflow
// the index arithmetic below.
constexpr int64_t kMaxAttr = int64_t(1) << 24;

using Shape = std::vector<int64_t>;

std::string str(const Shape &shape) { return resc::shapeToString(shape); }

/// A tensor whose data does not match its shape would make the loops read
/// out of bounds, so every operand is checked before use.
bool wellFormed(const Tensor &t, const char *what, std::string &error) {
  int64_t n = resc::checkedNumel(t.shape);
  if (n < 0 || n != t.numel()) {
    error = std::string(what) + " has shape " + str(t.shape) + " but " +
            std::to_string(t.numel()) + " elements";
    return false;
  }
  return true;
}

bool hasRank(const Tensor &t, const char *what, int64_t rank,
             std::string &error) {
  if (!wellFormed(t, what, error))
    return false;
  if (t.rank() != rank) {
    error = std::string(what) + " must have rank " + std::to_string(rank) +
            ", got shape " + str(t.shape);
    return false;
  }
  return true;
}

bool isVector(const Tensor *t, const char *what, int64_t size,
              std::string &error) {
  if (!t)
    return true;
  if (!hasRank(*t, what, 1, error))
    return false;
  if (t->shape[0] != size) {
    error = std::string(what) + " has shape " + str(t->shape) + ", expected [" +
            std::to_string(size) + "]";
    return false;
  }
  return true;
}

bool pairInRange(const Pair &p, const char *what, int64_t minimum,
                 std::string &error) {
  for (int64_t v : p)
    if (v < minimum || v > kMaxAttr) {
      error = std::string(what) + " must be in [" + std::to_string(minimum) +
              ", " + std::to_string(kMaxAttr) + "], got " + std::to_string(v);
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

/// Output H and W of a window op; a window that does not fit is an error, as
/// in PyTorch.
bool windowDims(const Tensor &x, const Pair &kernel, const Pair &stride,
                const Pair &pad, const Pair &dilation, int64_t &oh, int64_t &ow,
                std::string &error) {
  int64_t out[2];
  for (int i = 0; i < 2; ++i) {
    int64_t in = x.shape[2 + i];
    out[i] = windowOutputSize(in, kernel[i], stride[i], pad[i], dilation[i]);
    if (out[i] <= 0) {
      error = "a window of " + std::to_string(kernel[i]) + " (dilation " +
              std::to_string(dilation[i]) + ", padding " +
              std::to_string(pad[i]) + ") does not fit the input " +
              str(x.shape);
      return false;
    }
  }
  oh = out[0];
  ow = out[1];
  return true;
}

bool checkPool(const Tensor &x, const Pool2DAttrs &a, int64_t &oh, int64_t &ow,
               std::string &error) {
  if (!hasRank(x, "input", 4, error) ||
      !pairInRange(a.kernel, "kernel", 1, error) ||
      !pairInRange(a.stride, "stride", 1, error) ||
      !pairInRange(a.padding, "padding", 0, error))
    return false;
  // PyTorch's rule; it also guarantees that no window is all padding.
  for (int i = 0; i < 2; ++i)
    if (a.padding[i] * 2 > a.kernel[i]) {
      error = "padding " + std::to_string(a.padding[i]) +
              " is more than half the kernel " + std::to_string(a.kernel[i]);
      return false;
    }
  return windowDims(x, a.kernel, a.stride, a.padding, {1, 1}, oh, ow, error);
}

/// Folds `step` over the in-bounds elements of each window, starting from
/// `init()`, and stores what `finish` makes of the result.
template <typename Init, typename Step, typename Finish>
bool pool(const Tensor &x, const Pool2DAttrs &a, Tensor &out,
          std::string &error, Init init, Step step, Finish finish) {
  int64_t oh, ow;
  if (!checkPool(x, a, oh, ow, error))
    return false;
  const int64_t n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
  if (!allocate({n, c, oh, ow}, out, error))
    return false;
  float *y = out.data.data();
  for (int64_t p = 0; p < n * c; ++p) {
    const float *plane = x.data.data() + p * h * w;
    for (int64_t i = 0; i < oh; ++i)
      for (int64_t j = 0; j < ow; ++j) {
        double acc = init();
        for (int64_t ki = 0; ki < a.kernel[0]; ++ki)
          for (int64_t kj = 0; kj < a.kernel[1]; ++kj) {
            int64_t hi = i * a.stride[0] - a.padding[0] + ki;
            int64_t wj = j * a.stride[1] - a.padding[1] + kj;
            if (hi >= 0 && hi < h && wj >= 0 && wj < w)
              acc = step(acc, plane[hi * w + wj]);
          }
        *y++ = finish(acc);
      }
  }
  return true;
}

} // namespace

bool conv2d(const Tensor &x, const Tensor &w, const Tensor *bias,
            const Conv2DAttrs &a, Tensor &out, std::string &error) {
  if (!hasRank(x, "input", 4, error) || !hasRank(w, "weight", 4, error) ||
      !pairInRange(a.stride, "stride", 1, error) ||
      !pairInRange(a.padding, "padding", 0, error) ||
      !pairInRange(a.dilation, "dilation", 1, error))
    return false;
  const int64_t g = a.groups;
  if (g < 1 || g > kMaxAttr) {
    error = "groups must be at least 1, got " + std::to_string(g);
    return false;
  }
  const int64_t n = x.shape[0], c = x.shape[1], h = x.shape[2], wd = x.shape[3];
  const int64_t o = w.shape[0], cg = w.shape[1], kh = w.shape[2],
                kw = w.shape[3];
  if (kh < 1 || kw < 1) {
    error = "weight " + str(w.shape) + " has an empty kernel";
    return false;
  }
  if (c != cg * g) {
    error = "input " + str(x.shape) + " has " + std::to_string(c) +
            " channels but the weight " + str(w.shape) +
            " with groups=" + std::to_string(g) + " expects " +
            std::to_string(cg * g);
    return false;
  }
  if (o % g != 0) {
    error = "output channels " + std::to_string(o) +
            " are not divisible by groups=" + std::to_string(g);
    return false;
  }
  if (!isVector(bias, "bias", o, error))
    return false;
  int64_t oh, ow;
  if (!windowDims(x, {kh, kw}, a.stride, a.padding, a.dilation, oh, ow, error))
    return false;
  if (!allocate({n, o, oh, ow}, out, error))
    return false;

  const int64_t outPerGroup = o / g;
  float *y = out.data.data();
  for (int64_t b = 0; b < n; ++b)
    for (int64_t oc = 0; oc < o; ++oc) {
      const int64_t firstIn = (oc / outPerGroup) * cg;
      for (int64_t i = 0; i < oh; ++i)
        for (int64_t j = 0; j < ow; ++j) {
          double acc = bias ? bias->data[oc] : 0.0;
          for (int64_t ic = 0; ic < cg; ++ic)
            for (int64_t ki = 0; ki < kh; ++ki) {
              int64_t hi = i * a.stride[0] - a.padding[0] + ki * a.dilation[0];
              if (hi < 0 || hi >= h)
                continue;
              for (int64_t kj = 0; kj < kw; ++kj) {
                int64_t wj =
                    j * a.stride[1] - a.padding[1] + kj * a.dilation[1];
                if (wj < 0 || wj >= wd)
                  continue;
                double xv = x.data[((b * c + firstIn + ic) * h + hi) * wd + wj];
                double wv = w.data[((oc * cg + ic) * kh + ki) * kw + kj];
                acc += xv * wv;
              }
            }
          *y++ = static_cast<float>(acc);
        }
    }
  return true;
}

bool batchNorm(const Tensor &x, const Tensor &weight, const Tensor &bias,
               const Tensor &mean, const Tensor &var, double epsilon,
               Tensor &out, std::string &error) {
  if (!wellFormed(x, "input", error))
    return false;
  if (x.rank() < 2) {
    error = "input " + str(x.shape) + " has no channel dimension";
    return false;
  }
  const int64_t c = x.shape[1];
  if (!isVector(&weight, "weight", c, error) ||
      !isVector(&bias, "bias", c, error) ||
      !isVector(&mean, "running_mean", c, error) ||
      !isVector(&var, "running_var", c, error))
    return false;
  if (!(epsilon > 0)) {
    error = "epsilon must be positive";
    return false;
  }
  out = Tensor(x.shape);
  int64_t inner = 1;
  for (int64_t i = 2; i < x.rank(); ++i)
    inner *= x.shape[i];
  for (int64_t i = 0; i < x.numel(); ++i) {
    int64_t ch = (i / inner) % c;
    double norm = (double(x.data[i]) - mean.data[ch]) /
                  std::sqrt(double(var.data[ch]) + epsilon);
    out.data[i] = static_cast<float>(norm * weight.data[ch] + bias.data[ch]);
  }
  return true;
}

float activate(Activation kind, float x) {
  double v = x;
  switch (kind) {
  case Activation::identity:
    return x;
  case Activation::relu:
    // Keeps NaN as NaN, as torch.relu does.
    return x < 0 ? 0.0f : x;
  case Activation::gelu:
    return static_cast<float>(0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0))));
  case Activation::sigmoid:
    return static_cast<float>(1.0 / (1.0 + std::exp(-v)));
  case Activation::tanh:
    return static_cast<float>(std::tanh(v));
  case Activation::relu6:
    // Comparisons that keep NaN as NaN, as torch's clamp does.
    return x < 0 ? 0.0f : x > 6 ? 6.0f : x;
  case Activation::hardsigmoid:
    return x <= -3 ? 0.0f : x >= 3 ? 1.0f : static_cast<float>(v / 6 + 0.5);
  case Activation::hardswish:
    return x <= -3 ? 0.0f : x >= 3 ? x : static_cast<float>(v * (v + 3) / 6);
  case Activation::silu:
    return static_cast<float>(v / (1.0 + std::exp(-v)));
  }
  return std::numeric_limits<float>::quiet_NaN();
}

bool activation(const Tensor &x, Activation kind, Tensor &out,
                std::string &error) {
  if (!wellFormed(x, "input", error))
    return false;
  if (!symbolizeActivation(static_cast<uint32_t>(kind))) {
    error = "unknown activation " + std::to_string(static_cast<uint32_t>(kind));
    return false;
  }
  out = Tensor(x.shape);
  for (int64_t i = 0; i < x.numel(); ++i)
    out.data[i] = activate(kind, x.data[i]);
  return true;
}

bool maxPool2d(const Tensor &x, const Pool2DAttrs &a, Tensor &out,
               std::string &error) {
  return pool(
      x, a, out, error, [] { return -std::numeric_limits<double>::infinity(); },
      // NaN wins, as in PyTorch.
      [](double acc, float v) {
        return (v > acc || std::isnan(v)) && !std::isnan(acc) ? v : acc;
      },
      [](double acc) { return static_cast<float>(acc); });
}

bool avgPool2d(const Tensor &x, const Pool2DAttrs &a, Tensor &out,
               std::string &error) {
  const double area = double(a.kernel[0]) * double(a.kernel[1]);
  // With floor-mode output sizes every window lies inside the padded input,
  // so count_include_pad always divides by the full kernel area.
  return pool(
      x, a, out, error, [] { return 0.0; },
      [](double acc, float v) { return acc + v; },
      [area](double acc) { return static_cast<float>(acc / area); });
}

bool globalAvgPool(const Tensor &x, Tensor &out, std::string &error) {
  if (!hasRank(x, "input", 4, error))
    return false;
  const int64_t n = x.shape[0], c = x.shape[1], hw = x.shape[2] * x.shape[3];
  if (hw == 0) {
    error = "input " + str(x.shape) + " has no pixels to average";
    return false;
  }
  out = Tensor({n, c});
  for (int64_t p = 0; p < n * c; ++p) {
    double sum = 0;
    for (int64_t i = 0; i < hw; ++i)
      sum += x.data[p * hw + i];
    out.data[p] = static_cast<float>(sum / hw);
  }
  return true;
}

bool channelMul(const Tensor &x, const Tensor &g, Tensor &out,
                std::string &error) {
  if (!hasRank(x, "input", 4, error) || !wellFormed(g, "gate", error))
    return false;
  const int64_t n = x.shape[0], c = x.shape[1], hw = x.shape[2] * x.shape[3];
  const bool fits = (g.rank() == 2 ||
                     (g.rank() == 4 && g.shape[2] == 1 && g.shape[3] == 1)) &&
                    g.shape[0] == n && g.shape[1] == c;
  if (!fits) {
    error = "gate " + str(g.shape) + " does not fit the input " + str(x.shape);
    return false;
  }
  out = Tensor(x.shape);
  for (int64_t p = 0; p < n * c; ++p)
    for (int64_t i = 0; i < hw; ++i)
      out.data[p * hw + i] = x.data[p * hw + i] * g.data[p];
  return true;
}

bool flatten(const Tensor &x, Tensor &out, std::string &error) {
  if (!wellFormed(x, "input", error))
    return false;
  if (x.rank() < 2) {
    error = "input " + str(x.shape) + " must have at least 2 dimensions";
    return false;
  }
  int64_t features = 1;
  for (int64_t i = 1; i < x.rank(); ++i)
    features *= x.shape[i];
  out.shape = {x.shape[0], features};
  out.data = x.data;
  return true;
}

bool featureLayout(const Tensor &x, const char *what, FeatureLayout &layout,
                   std::string &error) {
  if (!wellFormed(x, what, error))
    return false;
  const size_t rank = x.shape.size();
  if (rank < 2 || rank > 4) {
    error = std::string(what) +
            " must be [N, D], [N, T, D] or [N, C, H, W], "
            "got " +
            str(x.shape);
    return false;
  }
  layout.dim = rank == 4 ? 1 : rank - 1;
  layout.outer = layout.inner = 1;
  for (size_t d = 0; d < rank; ++d) {
    if (d < layout.dim)
      layout.outer *= x.shape[d];
    else if (d > layout.dim)
      layout.inner *= x.shape[d];
  }
  layout.features = x.shape[layout.dim];
  return true;
}

bool dense(const Tensor &x, const Tensor &w, const Tensor *bias, Tensor &out,
           std::string &error) {
  FeatureLayout l;
  if (!featureLayout(x, "input", l, error) || !hasRank(w, "weight", 2, error))
    return false;
  const int64_t in = l.features, o = w.shape[0], inner = l.inner;
  if (w.shape[1] != in) {
    error = "input " + str(x.shape) + " has " + std::to_string(in) +
            " features but the weight " + str(w.shape) + " expects " +
            std::to_string(w.shape[1]);
    return false;
  }
  if (!isVector(bias, "bias", o, error))
    return false;
  Shape shape = x.shape;
  shape[l.dim] = o;
  if (!allocate(shape, out, error))
    return false;
  for (int64_t b = 0; b < l.outer; ++b)
    for (int64_t j = 0; j < o; ++j)
      for (int64_t p = 0; p < inner; ++p) {
        double acc = bias ? bias->data[j] : 0.0;
        for (int64_t k = 0; k < in; ++k)
          acc += double(x.data[(b * in + k) * inner + p]) * w.data[j * in + k];
        out.data[(b * o + j) * inner + p] = static_cast<float>(acc);
      }
  return true;
}

bool upsample(const Tensor &x, int64_t factor, Tensor &out,
              std::string &error) {
  if (!hasRank(x, "input", 4, error))
    return false;
  if (factor < 1 || factor > kMaxAttr) {
    error = "factor must be in [1, " + std::to_string(kMaxAttr) + "], got " +
            std::to_string(factor);
    return false;
  }
  const int64_t n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
  if (!allocate({n, c, h * factor, w * factor}, out, error))
    return false;
  float *y = out.data.data();
  for (int64_t p = 0; p < n * c; ++p)
    for (int64_t i = 0; i < h * factor; ++i)
      for (int64_t j = 0; j < w * factor; ++j)
        *y++ = x.data[(p * h + i / factor) * w + j / factor];
  return true;
}

bool add(const Tensor &a, const Tensor &b, Tensor &out, std::string &error) {
  if (!wellFormed(a, "lhs", error) || !wellFormed(b, "rhs", error))
    return false;
  bool fits = a.rank() == b.rank();
  for (int64_t i = 0; fits && i < a.rank(); ++i)
    fits = i == 1 ? b.shape[1] <= a.shape[1] : a.shape[i] == b.shape[i];
  if (!fits) {
    error = "cannot add " + str(b.shape) + " to " + str(a.shape) +
            ": shapes must match, except that the right operand may have "
            "fewer channels";
    return false;
  }
  out = a;
  if (a.rank() < 2 || a.shape == b.shape) {
    for (int64_t i = 0; i < a.numel(); ++i)
      out.data[i] += b.data[i];
    return true;
  }
  // Fewer channels on the right: they go to the first channels of each
  // sample, as if zero-padded (ResNet's parameter-free shortcut).
  const int64_t n = a.shape[0];
  const int64_t aRow = n == 0 ? 0 : a.numel() / n;
  const int64_t bRow = n == 0 ? 0 : b.numel() / n;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < bRow; ++j)
      out.data[i * aRow + j] += b.data[i * bRow + j];
  return true;
}

bool concat(const Tensor &a, const Tensor &b, Tensor &out, std::string &error) {
  if (!wellFormed(a, "lhs", error) || !wellFormed(b, "rhs", error))
    return false;
  bool fits = a.rank() == b.rank() && a.rank() >= 2;
  for (int64_t i = 0; fits && i < a.rank(); ++i)
    fits = i == 1 || a.shape[i] == b.shape[i];
  if (!fits) {
    error = "operand shapes " + str(a.shape) + " and " + str(b.shape) +
            " differ outside the channel dimension";
    return false;
  }
  Shape shape = a.shape;
  shape[1] += b.shape[1];
  out = Tensor(shape);
  const int64_t n = a.shape[0];
  const int64_t aRow = n == 0 ? 0 : a.numel() / n;
  const int64_t bRow = n == 0 ? 0 : b.numel() / n;
  float *y = out.data.data();
  for (int64_t i = 0; i < n; ++i) {
    y = std::copy_n(a.data.data() + i * aRow, aRow, y);
    y = std::copy_n(b.data.data() + i * bRow, bRow, y);
  }
  return true;
}

bool softmax(const Tensor &x, Tensor &out, std::string &error) {
  if (!wellFormed(x, "input", error))
    return false;
  if (x.rank() < 1) {
    error = "input must have at least 1 dimension";
    return false;
  }
  out = Tensor(x.shape);
  const int64_t len = x.shape.back();
  const int64_t rows = len == 0 ? 0 : x.numel() / len;
  for (int64_t r = 0; r < rows; ++r) {
    const float *in = x.data.data() + r * len;
    float *y = out.data.data() + r * len;
    double peak = -std::numeric_limits<double>::infinity();
    for (int64_t i = 0; i < len; ++i)
      peak = std::max(peak, double(in[i]));
    double sum = 0;
    for (int64_t i = 0; i < len; ++i)
      sum += std::exp(in[i] - peak);
    for (int64_t i = 0; i < len; ++i)
      y[i] = static_cast<float>(std::exp(in[i] - peak) / sum);
  }
  return true;
}

bool normLayout(const Tensor &x, FeatureLayout &layout, std::string &error) {
  if (!wellFormed(x, "input", error))
    return false;
  if (layerNormAxis(x.rank()) < 0) {
    error =
        "input must be [N, C, H, W], [N, T, D] or [N, D], got " + str(x.shape);
    return false;
  }
  return featureLayout(x, "input", layout, error);
}

std::pair<double, double> layerNormStats(const Tensor &x,
                                         const FeatureLayout &r, int64_t o,
                                         int64_t k, double epsilon) {
  double mean = 0, var = 0;
  for (int64_t i = 0; i < r.features; ++i)
    mean += x.data[r.at(o, i, k)];
  mean /= double(r.features);
  for (int64_t i = 0; i < r.features; ++i) {
    double d = x.data[r.at(o, i, k)] - mean;
    var += d * d;
  }
  var /= double(r.features);
  return {mean, 1 / std::sqrt(var + epsilon)};
}

bool checkLayerNormEpsilon(double epsilon, std::string &error) {
  if (!(epsilon > 0)) {
    error = "epsilon must be positive";
    return false;
  }
  return true;
}

bool layerNorm(const Tensor &x, const Tensor *weight, const Tensor *bias,
               double epsilon, Tensor &out, std::string &error) {
  FeatureLayout r;
  if (!normLayout(x, r, error) ||
      !isVector(weight, "weight", r.features, error) ||
      !isVector(bias, "bias", r.features, error))
    return false;
  if (bool(weight) != bool(bias)) {
    error = "weight and bias must be both given or both absent";
    return false;
  }
  if (!checkLayerNormEpsilon(epsilon, error))
    return false;
  out = Tensor(x.shape);
  for (int64_t o = 0; o < r.outer; ++o)
    for (int64_t k = 0; k < r.inner; ++k) {
      auto at = [&](int64_t i) { return r.at(o, i, k); };
      const auto [mean, rstd] = layerNormStats(x, r, o, k, epsilon);
      for (int64_t i = 0; i < r.features; ++i) {
        double y = (x.data[at(i)] - mean) * rstd;
        if (weight)
          y = y * weight->data[i] + bias->data[i];
        out.data[at(i)] = static_cast<float>(y);
      }
    }
  return true;
}

bool channelScale(const Tensor &x, const Tensor &s, Tensor &out,
                  std::string &error) {
  FeatureLayout r;
  if (!normLayout(x, r, error) || !wellFormed(s, "scale", error))
    return false;
  if (s.shape != channelScaleShape(x.shape)) {
    error = "scale " + str(s.shape) + " does not fit the input " +
            str(x.shape) + ": expected " + str(channelScaleShape(x.shape));
    return false;
  }
  out = Tensor(x.shape);
  for (int64_t o = 0; o < r.outer; ++o)
    for (int64_t i = 0; i < r.features; ++i)
      for (int64_t k = 0; k < r.inner; ++k) {
        int64_t at = r.at(o, i, k);
        out.data[at] = x.data[at] * s.data[i];
      }
  return true;
}

bool residualSum(const Tensor &s, const Tensor &f, double branchScale,
                 double outputScale, Tensor &out, std::string &error) {
  if (!wellFormed(s, "shortcut", error) || !wellFormed(f, "branch", error))
    return false;
  if (s.shape != f.shape) {
    error = "the shortcut gives " + str(s.shape) + " but the branch gives " +
            str(f.shape);
    return false;
  }
  out = Tensor(s.shape);
  for (int64_t i = 0; i < s.numel(); ++i)
    out.data[i] = static_cast<float>(
        outputScale * (double(s.data[i]) + branchScale * double(f.data[i])));
  return true;
}

} // namespace kernels
} // namespace res
