// Naive loops in double, as the other oracle kernels.
#include "compiler/interpreter/TokenGradKernels.h"

#include "compiler/interpreter/GradKernelChecks.h"

#include <cmath>
#include <limits>

using resc::Tensor;

namespace res {
namespace kernels {

using namespace gradchecks;

bool tokensGrad(const Tensor &dy, const Shape &shape, Tensor &out,
                std::string &error) {
  if (!hasRank(dy, "dy", 3, error))
    return false;
  if (shape.size() != 4 || shape[0] != dy.shape[0] || shape[1] != dy.shape[2] ||
      shape[2] * shape[3] != dy.shape[1]) {
    error =
        "dy " + str(dy.shape) + " are not the tokens of an image " + str(shape);
    return false;
  }
  if (!allocate(shape, out, error))
    return false;
  const int64_t n = shape[0], c = shape[1], hw = dy.shape[1];
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t p = 0; p < hw; ++p)
        out.data[(b * c + ch) * hw + p] = dy.data[(b * hw + p) * c + ch];
  return true;
}

bool classTokenGrad(const Tensor &dy, Tensor &out, std::string &error) {
  if (!hasRank(dy, "dy", 3, error))
    return false;
  const int64_t n = dy.shape[0], t = dy.shape[1] - 1, d = dy.shape[2];
  if (t < 0) {
    error = "dy " + str(dy.shape) + " has no class token";
    return false;
  }
  if (!allocate({n, t, d}, out, error))
    return false;
  for (int64_t b = 0; b < n; ++b)
    std::copy_n(dy.data.data() + (b * (t + 1) + 1) * d, t * d,
                out.data.data() + b * t * d);
  return true;
}

bool batchSumTokens(const Tensor &dy, int64_t count, Tensor &out,
                    std::string &error) {
  if (!hasRank(dy, "dy", 3, error))
    return false;
  const int64_t n = dy.shape[0], t = dy.shape[1], d = dy.shape[2];
  if (count < 0 || count > t) {
    error = "cannot sum " + num(count) + " tokens of dy " + str(dy.shape);
    return false;
  }
  std::vector<double> acc(count * d, 0.0);
  for (int64_t b = 0; b < n; ++b)
    for (int64_t i = 0; i < count * d; ++i)
      acc[i] += dy.data[b * t * d + i];
  out = fromDouble({1, count, d}, acc);
  return true;
}

bool tokenGrad(const Tensor &dy, int64_t index, int64_t tokens, Tensor &out,
               std::string &error) {
  if (!hasRank(dy, "dy", 2, error))
    return false;
  if (index < 0 || index >= tokens || tokens > kMaxDim) {
    error = "token " + num(index) + " is out of range for " + num(tokens) +
            " tokens";
    return false;
  }
  const int64_t n = dy.shape[0], d = dy.shape[1];
  if (!allocate({n, tokens, d}, out, error))
    return false;
  for (int64_t b = 0; b < n; ++b)
    std::copy_n(dy.data.data() + b * d, d,
                out.data.data() + (b * tokens + index) * d);
  return true;
}

bool attentionHeadsGrad(const Tensor &dy, const Tensor &qkv, int64_t heads,
                        Tensor &out, std::string &error) {
  if (!hasRank(dy, "dy", 3, error) || !hasRank(qkv, "input", 3, error))
    return false;
  const int64_t n = dy.shape[0], t = dy.shape[1], d = dy.shape[2];
  if (qkv.shape != Shape{n, t, 3 * d} || heads < 1 || heads > kMaxAttr ||
      d % heads != 0) {
    error = "dy " + str(dy.shape) + " and the input " + str(qkv.shape) +
            " are not the output and the q, k, v of " + num(heads) +
            " attention heads";
    return false;
  }
  if (!allocate(qkv.shape, out, error))
    return false;
  const int64_t e = d / heads;
  const double scale = 1 / std::sqrt(double(e));
  auto in = [&](int64_t b, int64_t i, int64_t f) {
    return double(qkv.data[(b * t + i) * 3 * d + f]);
  };
  auto g = [&](int64_t b, int64_t i, int64_t f) {
    return double(dy.data[(b * t + i) * d + f]);
  };
  std::vector<double> p(t * t), ds(t * t), acc(t * 3 * d);
  for (int64_t b = 0; b < n; ++b) {
    std::fill(acc.begin(), acc.end(), 0.0);
    for (int64_t h = 0; h < heads; ++h) {
      const int64_t q0 = h * e, k0 = d + h * e, v0 = 2 * d + h * e;
      // The probabilities, recomputed as the forward pass computes them.
      for (int64_t i = 0; i < t; ++i) {
        double peak = -std::numeric_limits<double>::infinity();
        for (int64_t u = 0; u < t; ++u) {
          double s = 0;
          for (int64_t j = 0; j < e; ++j)
            s += in(b, i, q0 + j) * in(b, u, k0 + j);
          p[i * t + u] = s * scale;
          peak = std::max(peak, p[i * t + u]);
        }
        double sum = 0;
        for (int64_t u = 0; u < t; ++u)
          sum += p[i * t + u] = std::exp(p[i * t + u] - peak);
        for (int64_t u = 0; u < t; ++u)
          p[i * t + u] /= sum;
      }
      // dP = dO V^T; dS = P (dP - rowsum(P dP)).
      for (int64_t i = 0; i < t; ++i) {
        double delta = 0;
        for (int64_t u = 0; u < t; ++u) {
          double dp = 0;
          for (int64_t j = 0; j < e; ++j)
            dp += g(b, i, q0 + j) * in(b, u, v0 + j);
          ds[i * t + u] = dp;
          delta += p[i * t + u] * dp;
        }
        for (int64_t u = 0; u < t; ++u)
          ds[i * t + u] = p[i * t + u] * (ds[i * t + u] - delta);
      }
      // dQ = dS K s, dK = dS^T Q s, dV = P^T dO.
      for (int64_t i = 0; i < t; ++i)
        for (int64_t u = 0; u < t; ++u)
          for (int64_t j = 0; j < e; ++j) {
            acc[i * 3 * d + q0 + j] += ds[i * t + u] * in(b, u, k0 + j) * scale;
            acc[u * 3 * d + k0 + j] += ds[i * t + u] * in(b, i, q0 + j) * scale;
            acc[u * 3 * d + v0 + j] += p[i * t + u] * g(b, i, q0 + j);
          }
    }
    for (int64_t i = 0; i < t * 3 * d; ++i)
      out.data[b * t * 3 * d + i] = static_cast<float>(acc[i]);
  }
  return true;
}

} // namespace kernels
} // namespace res
