// Finite-difference checks of the gradient kernels. The kernels work in
// float, so their gradients are compared with central differences of a
// DOUBLE forward pass (DoubleForwards.h): in double the difference quotient
// is accurate to ~1e-9, far below the float rounding of the kernels, so any
// error the check sees is the kernels' own.
#ifndef RESC_TESTS_INTERPRETER_GRADCHECKUTIL_H
#define RESC_TESTS_INTERPRETER_GRADCHECKUTIL_H

#include "resc/Random.h"
#include "resc/Tensor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace res::gradcheck {

using Shape = std::vector<int64_t>;

/// A tensor of doubles in C order, for the reference forward passes.
struct DTensor {
  Shape shape;
  std::vector<double> data;

  DTensor() = default;
  explicit DTensor(Shape s) : shape(std::move(s)) {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    data.assign(n, 0.0);
  }
  int64_t numel() const { return static_cast<int64_t>(data.size()); }
};

inline DTensor toDouble(const resc::Tensor &t) {
  DTensor d;
  d.shape = t.shape;
  d.data.assign(t.data.begin(), t.data.end());
  return d;
}

/// Uniform in [lo, hi), rounded to float so that the float kernels and the
/// double reference see the same point.
inline resc::Tensor randomTensor(const Shape &shape, const std::string &name,
                                 double lo = -1.0, double hi = 1.0) {
  resc::Random random(/*seed=*/5, name);
  resc::Tensor t(shape);
  for (float &v : t.data)
    v = static_cast<float>(lo + (hi - lo) * random.uniform());
  return t;
}

/// Moves values within `margin` of zero out to +-margin, so a finite
/// difference of step h << margin never crosses the kink of relu.
inline resc::Tensor awayFromZero(resc::Tensor t, float margin = 0.05f) {
  for (float &v : t.data)
    if (std::abs(v) < margin)
      v = v < 0 ? -margin : margin;
  return t;
}

/// A function of several tensors, evaluated in double.
using Forward = std::function<DTensor(const std::vector<DTensor> &)>;

/// The step of the central differences. Truncation error ~h^2 * L''' and
/// rounding error ~1e-16 * |L| / h both stay below ~1e-9 for the O(1)..O(100)
/// losses of these tests, and the step is far smaller than the 0.05 margin
/// kept around every kink.
constexpr double kStep = 1e-6;

/// d/d inputs[which] of L = sum(f(inputs) * dy), by central differences.
inline DTensor numericGradient(const Forward &f, std::vector<DTensor> inputs,
                               const resc::Tensor &dy, size_t which) {
  auto loss = [&]() {
    DTensor y = f(inputs);
    EXPECT_EQ(y.shape, dy.shape) << "the reference forward's shape";
    double sum = 0;
    for (int64_t i = 0; i < std::min(y.numel(), dy.numel()); ++i)
      sum += y.data[i] * dy.data[i];
    return sum;
  };
  DTensor grad(inputs[which].shape);
  for (int64_t i = 0; i < grad.numel(); ++i) {
    double &v = inputs[which].data[i];
    const double saved = v;
    v = saved + kStep;
    double up = loss();
    v = saved - kStep;
    double down = loss();
    v = saved;
    grad.data[i] = (up - down) / (2 * kStep);
  }
  return grad;
}

/// max |got - want| / max |want|: one number per tensor, insensitive to the
/// individual elements that happen to be near zero.
inline double relativeError(const resc::Tensor &got, const DTensor &want) {
  double diff = 0, scale = 0;
  for (int64_t i = 0; i < want.numel(); ++i) {
    diff = std::max(diff, std::abs(double(got.data[i]) - want.data[i]));
    scale = std::max(scale, std::abs(want.data[i]));
  }
  return diff / std::max(scale, 1e-30);
}

/// The largest relative error seen per gradient kernel, printed after the
/// run so that the report can quote it.
inline std::map<std::string, double> &worstErrors() {
  static std::map<std::string, double> worst;
  return worst;
}

/// The float kernels round each result to float (6e-8 relative), and sum
/// in double; the errors measured stay below 1e-7 of the largest element.
/// 1e-6 leaves a margin of ten, while a wrong or missing term changes the
/// gradient by far more on these small shapes.
constexpr double kGradTolerance = 1e-6;

/// Checks a kernel's gradient against the numeric one and records the error
/// under `kernel`.
inline void expectGradient(const std::string &kernel, const std::string &what,
                           const resc::Tensor &got, const DTensor &want,
                           double tolerance = kGradTolerance) {
  ASSERT_EQ(got.shape, want.shape) << kernel << ": " << what;
  ASSERT_EQ(got.numel(), want.numel()) << kernel << ": " << what;
  double maxAbs = 0;
  for (double v : want.data)
    maxAbs = std::max(maxAbs, std::abs(v));
  // A gradient that is all zero would let a kernel that returns zeros pass.
  ASSERT_GT(maxAbs, 1e-3) << kernel << ": " << what
                          << " has a vanishing reference gradient";
  double err = relativeError(got, want);
  double &worst = worstErrors()[kernel];
  worst = std::max(worst, err);
  EXPECT_LE(err, tolerance) << kernel << ": gradient of " << what;
}

/// The float forward kernel and the double reference must compute the same
/// function, or the finite differences would check the wrong thing.
inline void expectSameForward(const resc::Tensor &got, const DTensor &want,
                              double tolerance = 1e-6) {
  ASSERT_EQ(got.shape, want.shape);
  EXPECT_LE(relativeError(got, want), tolerance)
      << "the float forward and the double reference differ";
}

/// A forward and all of its inputs: checks the gradient `got[k]` of every
/// input k by finite differences, recording each under `kernels[k]`.
struct GradCase {
  Forward forward;
  std::vector<resc::Tensor> inputs;
  std::vector<std::string> names;

  void check(const resc::Tensor &dy, const std::vector<resc::Tensor> &got,
             const std::vector<std::string> &kernels,
             double tolerance = kGradTolerance) const {
    ASSERT_EQ(got.size(), inputs.size());
    ASSERT_EQ(kernels.size(), inputs.size());
    std::vector<DTensor> at;
    for (const resc::Tensor &t : inputs)
      at.push_back(toDouble(t));
    for (size_t k = 0; k < inputs.size(); ++k)
      expectGradient(kernels[k], names[k], got[k],
                     numericGradient(forward, at, dy, k), tolerance);
  }
};

} // namespace res::gradcheck

#endif
