// Naive loops in double, as the other oracle kernels (Kernels.cpp).
#include "compiler/interpreter/TokenKernels.h"

#include "compiler/interpreter/GradKernelChecks.h"
#include "compiler/interpreter/Kernels.h"

#include <cmath>
#include <limits>
#include <vector>

using resc::Tensor;

namespace res {
namespace kernels {

using namespace gradchecks;

bool tokens(const Tensor &x, Tensor &out, std::string &error) {
  if (!hasRank(x, "input", 4, error))
    return false;
  const int64_t n = x.shape[0], c = x.shape[1], hw = x.shape[2] * x.shape[3];
  if (!allocate({n, hw, c}, out, error))
    return false;
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t p = 0; p < hw; ++p)
        out.data[(b * hw + p) * c + ch] = x.data[(b * c + ch) * hw + p];
  return true;
}

bool classToken(const Tensor &x, const Tensor &token, Tensor &out,
                std::string &error) {
  if (!hasRank(x, "input", 3, error) || !hasRank(token, "token", 3, error))
    return false;
  const int64_t n = x.shape[0], t = x.shape[1], d = x.shape[2];
  if (token.shape != Shape{1, 1, d}) {
    error = "token has shape " + str(token.shape) + ", expected [1, 1, " +
            num(d) + "] for an input of " + str(x.shape);
    return false;
  }
  if (!allocate({n, t + 1, d}, out, error))
    return false;
  for (int64_t b = 0; b < n; ++b) {
    float *y = out.data.data() + b * (t + 1) * d;
    std::copy_n(token.data.data(), d, y);
    std::copy_n(x.data.data() + b * t * d, t * d, y + d);
  }
  return true;
}

bool posEmbedding(const Tensor &x, const Tensor &e, Tensor &out,
                  std::string &error) {
  if (!hasRank(x, "input", 3, error) || !hasRank(e, "embedding", 3, error))
    return false;
  if (e.shape != Shape{1, x.shape[1], x.shape[2]}) {
    error = "embedding has shape " + str(e.shape) + ", expected [1, " +
            num(x.shape[1]) + ", " + num(x.shape[2]) + "] for an input of " +
            str(x.shape);
    return false;
  }
  out = x;
  const int64_t row = e.numel();
  for (int64_t i = 0; i < x.numel(); ++i)
    out.data[i] += e.data[i % row];
  return true;
}

bool token(const Tensor &x, int64_t index, Tensor &out, std::string &error) {
  if (!hasRank(x, "input", 3, error))
    return false;
  const int64_t n = x.shape[0], t = x.shape[1], d = x.shape[2];
  if (index < 0 || index >= t) {
    error = "token " + num(index) + " is out of range for " + str(x.shape);
    return false;
  }
  if (!allocate({n, d}, out, error))
    return false;
  for (int64_t b = 0; b < n; ++b)
    std::copy_n(x.data.data() + (b * t + index) * d, d,
                out.data.data() + b * d);
  return true;
}

bool checkAttention(const Tensor &x, const AttentionParams &p,
                    std::string &error) {
  if (!hasRank(x, "input", 3, error))
    return false;
  const int64_t d = x.shape[2];
  if (p.heads < 1 || p.heads > kMaxAttr || d % p.heads != 0) {
    error =
        num(d) + " features are not divisible by " + num(p.heads) + " heads";
    return false;
  }
  if (!p.inWeight || !p.outWeight) {
    error = "the projection weights are missing";
    return false;
  }
  if (!hasRank(*p.inWeight, "in_weight", 2, error) ||
      !hasRank(*p.outWeight, "out_weight", 2, error))
    return false;
  if (p.inWeight->shape != Shape{3 * d, d} ||
      p.outWeight->shape != Shape{d, d}) {
    error = "the projection weights " + str(p.inWeight->shape) + " and " +
            str(p.outWeight->shape) + " do not fit " + num(d) +
            " features: expected [" + num(3 * d) + ", " + num(d) + "] and [" +
            num(d) + ", " + num(d) + "]";
    return false;
  }
  if (bool(p.inBias) != bool(p.outBias)) {
    error = "in_bias and out_bias must be both given or both absent";
    return false;
  }
  return !p.inBias || (isVector(*p.inBias, "in_bias", 3 * d, error) &&
                       isVector(*p.outBias, "out_bias", d, error));
}

bool attentionHeads(const Tensor &qkv, int64_t heads, Tensor &out,
                    std::string &error) {
  if (!hasRank(qkv, "input", 3, error))
    return false;
  const int64_t n = qkv.shape[0], t = qkv.shape[1], d = qkv.shape[2] / 3;
  if (qkv.shape[2] % 3 != 0 || heads < 1 || heads > kMaxAttr ||
      d % heads != 0) {
    error = "input " + str(qkv.shape) + " does not hold q, k and v of " +
            num(heads) + " heads (3D features, D divisible by the heads)";
    return false;
  }
  if (!allocate({n, t, d}, out, error))
    return false;
  const int64_t hd = d / heads;
  const double scale = 1 / std::sqrt(double(hd));
  std::vector<double> scores(t);
  auto at = [&](int64_t b, int64_t i, int64_t f) {
    return double(qkv.data[(b * t + i) * 3 * d + f]);
  };
  for (int64_t b = 0; b < n; ++b)
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t i = 0; i < t; ++i) {
        double peak = -std::numeric_limits<double>::infinity();
        for (int64_t u = 0; u < t; ++u) {
          double s = 0;
          for (int64_t e = 0; e < hd; ++e)
            s += at(b, i, h * hd + e) * at(b, u, d + h * hd + e);
          scores[u] = s * scale;
          peak = std::max(peak, scores[u]);
        }
        double sum = 0;
        for (int64_t u = 0; u < t; ++u)
          sum += scores[u] = std::exp(scores[u] - peak);
        for (int64_t e = 0; e < hd; ++e) {
          double o = 0;
          for (int64_t u = 0; u < t; ++u)
            o += scores[u] * at(b, u, 2 * d + h * hd + e);
          out.data[(b * t + i) * d + h * hd + e] = static_cast<float>(o / sum);
        }
      }
  return true;
}

bool attention(const Tensor &x, const AttentionParams &p, Tensor &out,
               std::string &error) {
  Tensor qkv, heads;
  return checkAttention(x, p, error) &&
         dense(x, *p.inWeight, p.inBias, qkv, error) &&
         attentionHeads(qkv, p.heads, heads, error) &&
         dense(heads, *p.outWeight, p.outBias, out, error);
}

} // namespace kernels
} // namespace res
