// Reference kernels of the ops the passes create (fused_conv2d,
// fold_bn_params). They are built from the plain kernels so that a fused
// model is checked against the same arithmetic as the unfused one.
#include "compiler/interpreter/Kernels.h"

#include <cmath>

using resc::Tensor;

namespace res {
namespace kernels {
namespace {

bool isChannelVector(const Tensor *t, const char *what, int64_t size,
                     std::string &error) {
  if (!t)
    return true;
  if (t->rank() != 1 || t->shape[0] != size || t->numel() != size) {
    error = std::string(what) + " has shape " + resc::shapeToString(t->shape) +
            ", expected [" + std::to_string(size) + "]";
    return false;
  }
  return true;
}

} // namespace

bool fusedConv2d(const Tensor &x, const Tensor &w, const Tensor *bias,
                 const Tensor *residual, const Conv2DAttrs &attrs,
                 double convScale, double residualScale, const Activation *act,
                 Tensor &out, std::string &error) {
  Tensor conv;
  if (!conv2d(x, w, bias, attrs, conv, error))
    return false;
  out = Tensor(conv.shape);
  for (int64_t i = 0; i < conv.numel(); ++i)
    out.data[i] = static_cast<float>(convScale * double(conv.data[i]));
  if (residual) {
    const Tensor &r = *residual;
    bool fits = r.rank() == 4 && r.numel() == resc::checkedNumel(r.shape);
    for (int64_t d = 0; fits && d < 4; ++d)
      fits = d == 1 ? r.shape[1] <= conv.shape[1] : r.shape[d] == conv.shape[d];
    if (!fits) {
      error = "cannot add the residual " + resc::shapeToString(r.shape) +
              " to the convolution's result " +
              resc::shapeToString(conv.shape) +
              ": shapes must match, except that the residual may have fewer "
              "channels";
      return false;
    }
    // The residual's channels go to the first channels of each sample.
    const int64_t n = conv.shape[0];
    const int64_t row = n == 0 ? 0 : conv.numel() / n;
    const int64_t rRow = n == 0 ? 0 : r.numel() / n;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < row; ++j) {
        double v = convScale * double(conv.data[i * row + j]);
        if (j < rRow)
          v += residualScale * double(r.data[i * rRow + j]);
        out.data[i * row + j] = static_cast<float>(v);
      }
  }
  if (act)
    for (float &v : out.data)
      v = activate(*act, v);
  return true;
}

bool foldBatchNormParams(const Tensor &w, const Tensor &gamma,
                         const Tensor &beta, const Tensor &mean,
                         const Tensor &var, const Tensor *bias, double epsilon,
                         Tensor &foldedWeight, Tensor &foldedBias,
                         std::string &error) {
  if (w.rank() < 1 || w.numel() != resc::checkedNumel(w.shape)) {
    error = "weight has shape " + resc::shapeToString(w.shape) + " but " +
            std::to_string(w.numel()) + " elements";
    return false;
  }
  const int64_t out = w.shape[0];
  if (!isChannelVector(&gamma, "gamma", out, error) ||
      !isChannelVector(&beta, "beta", out, error) ||
      !isChannelVector(&mean, "mean", out, error) ||
      !isChannelVector(&var, "var", out, error) ||
      !isChannelVector(bias, "bias", out, error))
    return false;
  foldedWeight = Tensor(w.shape);
  foldedBias = Tensor({out});
  const int64_t row = out == 0 ? 0 : w.numel() / out;
  for (int64_t o = 0; o < out; ++o) {
    const double s =
        double(gamma.data[o]) / std::sqrt(double(var.data[o]) + epsilon);
    for (int64_t j = 0; j < row; ++j)
      foldedWeight.data[o * row + j] =
          static_cast<float>(double(w.data[o * row + j]) * s);
    const double b = bias ? double(bias->data[o]) : 0.0;
    foldedBias.data[o] = static_cast<float>((b - double(mean.data[o])) * s +
                                            double(beta.data[o]));
  }
  return true;
}

} // namespace kernels
} // namespace res
