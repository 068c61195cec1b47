// The token ops' gradients (TokenGradKernels.h) against central differences
// of their forwards in double, each forward first checked against the float
// kernel (TokenKernels.h).
#include "GradCheckUtil.h"

#include "compiler/interpreter/TokenGradKernels.h"
#include "compiler/interpreter/TokenKernels.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace res::gradcheck;
using resc::Tensor;
namespace k = res::kernels;

namespace {

using Shape = std::vector<int64_t>;

namespace ref {

DTensor tokens(const DTensor &x) {
  const int64_t n = x.shape[0], c = x.shape[1], hw = x.shape[2] * x.shape[3];
  DTensor y({n, hw, c});
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t p = 0; p < hw; ++p)
        y.data[(b * hw + p) * c + ch] = x.data[(b * c + ch) * hw + p];
  return y;
}

DTensor classToken(const DTensor &x, const DTensor &token) {
  const int64_t n = x.shape[0], t = x.shape[1], d = x.shape[2];
  DTensor y({n, t + 1, d});
  for (int64_t b = 0; b < n; ++b)
    for (int64_t i = 0; i <= t; ++i)
      for (int64_t f = 0; f < d; ++f)
        y.data[(b * (t + 1) + i) * d + f] =
            i == 0 ? token.data[f] : x.data[(b * t + i - 1) * d + f];
  return y;
}

DTensor posEmbedding(const DTensor &x, const DTensor &e) {
  DTensor y(x.shape);
  for (int64_t i = 0; i < x.numel(); ++i)
    y.data[i] = x.data[i] + e.data[i % e.numel()];
  return y;
}

DTensor token(const DTensor &x, int64_t index) {
  const int64_t n = x.shape[0], t = x.shape[1], d = x.shape[2];
  DTensor y({n, d});
  for (int64_t b = 0; b < n; ++b)
    for (int64_t f = 0; f < d; ++f)
      y.data[b * d + f] = x.data[(b * t + index) * d + f];
  return y;
}

/// softmax(q k^T / sqrt(e)) v per head, straight from the definition.
DTensor attentionHeads(const DTensor &qkv, int64_t heads) {
  const int64_t n = qkv.shape[0], t = qkv.shape[1], d = qkv.shape[2] / 3;
  const int64_t e = d / heads;
  DTensor y({n, t, d});
  auto at = [&](int64_t b, int64_t i, int64_t f) {
    return qkv.data[(b * t + i) * 3 * d + f];
  };
  for (int64_t b = 0; b < n; ++b)
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t i = 0; i < t; ++i) {
        std::vector<double> w(t);
        double sum = 0;
        for (int64_t u = 0; u < t; ++u) {
          double s = 0;
          for (int64_t j = 0; j < e; ++j)
            s += at(b, i, h * e + j) * at(b, u, d + h * e + j);
          sum += w[u] = std::exp(s / std::sqrt(double(e)));
        }
        for (int64_t j = 0; j < e; ++j) {
          double o = 0;
          for (int64_t u = 0; u < t; ++u)
            o += w[u] / sum * at(b, u, 2 * d + h * e + j);
          y.data[(b * t + i) * d + h * e + j] = o;
        }
      }
  return y;
}

} // namespace ref

TEST(TokenGradKernelsTest, Tokens) {
  Tensor x = randomTensor({2, 3, 2, 4}, "tok.x");
  std::string error;
  Tensor y, dx;
  ASSERT_TRUE(k::tokens(x, y, error)) << error;
  expectSameForward(y, ref::tokens(toDouble(x)));
  Tensor dy = randomTensor(y.shape, "tok.dy");
  ASSERT_TRUE(k::tokensGrad(dy, x.shape, dx, error)) << error;
  GradCase c{[](const std::vector<DTensor> &in) { return ref::tokens(in[0]); },
             {x},
             {"x"}};
  c.check(dy, {dx}, {"tokensGrad"});
}

TEST(TokenGradKernelsTest, ClassTokenAndPosEmbedding) {
  Tensor x = randomTensor({3, 4, 5}, "ct.x");
  Tensor token = randomTensor({1, 1, 5}, "ct.token");
  Tensor e = randomTensor({1, 5, 5}, "ct.e");
  std::string error;
  Tensor y1, y;
  ASSERT_TRUE(k::classToken(x, token, y1, error)) << error;
  ASSERT_TRUE(k::posEmbedding(y1, e, y, error)) << error;
  auto forward = [](const std::vector<DTensor> &in) {
    return ref::posEmbedding(ref::classToken(in[0], in[1]), in[2]);
  };
  expectSameForward(y, forward({toDouble(x), toDouble(token), toDouble(e)}));
  Tensor dy = randomTensor(y.shape, "ct.dy");
  // pos_embedding passes dy to its input; class_token drops token 0.
  Tensor dx, dtoken, de;
  ASSERT_TRUE(k::classTokenGrad(dy, dx, error)) << error;
  ASSERT_TRUE(k::batchSumTokens(dy, 1, dtoken, error)) << error;
  ASSERT_TRUE(k::batchSumTokens(dy, 5, de, error)) << error;
  GradCase c{forward, {x, token, e}, {"x", "token", "embedding"}};
  c.check(dy, {dx, dtoken, de},
          {"classTokenGrad", "batchSumTokens(1)", "batchSumTokens(T)"});
}

TEST(TokenGradKernelsTest, Token) {
  Tensor x = randomTensor({2, 4, 3}, "t.x");
  std::string error;
  Tensor y, dx;
  ASSERT_TRUE(k::token(x, 2, y, error)) << error;
  expectSameForward(y, ref::token(toDouble(x), 2));
  Tensor dy = randomTensor(y.shape, "t.dy");
  ASSERT_TRUE(k::tokenGrad(dy, 2, 4, dx, error)) << error;
  GradCase c{
      [](const std::vector<DTensor> &in) { return ref::token(in[0], 2); },
      {x},
      {"x"}};
  c.check(dy, {dx}, {"tokenGrad"});
}

// Heads of 1, 2 and 3 features; softmax rows that are not uniform (the
// random q and k are scaled up).
TEST(TokenGradKernelsTest, AttentionHeads) {
  for (auto [t, d, heads] : {std::tuple{4, 6, 3}, std::tuple{5, 4, 2},
                             std::tuple{3, 3, 3}, std::tuple{1, 2, 1}}) {
    Tensor qkv = randomTensor({2, t, 3 * d}, "ah.qkv");
    for (float &v : qkv.data)
      v *= 2.0f;
    std::string error;
    Tensor y, dqkv;
    ASSERT_TRUE(k::attentionHeads(qkv, heads, y, error)) << error;
    int64_t h = heads;
    expectSameForward(y, ref::attentionHeads(toDouble(qkv), h));
    Tensor dy = randomTensor(y.shape, "ah.dy");
    ASSERT_TRUE(k::attentionHeadsGrad(dy, qkv, heads, dqkv, error)) << error;
    GradCase c{[h](const std::vector<DTensor> &in) {
                 return ref::attentionHeads(in[0], h);
               },
               {qkv},
               {"qkv"}};
    c.check(dy, {dqkv}, {"attentionHeadsGrad"});
  }
}

TEST(TokenGradKernelsTest, RefusesMismatchedOperands) {
  std::string error;
  Tensor out;
  EXPECT_FALSE(k::attentionHeadsGrad(Tensor({1, 3, 4}), Tensor({1, 3, 10}), 2,
                                     out, error));
  EXPECT_NE(error.find("q, k, v of 2 attention heads"), std::string::npos)
      << error;
  EXPECT_FALSE(k::tokenGrad(Tensor({1, 4}), 3, 3, out, error));
  EXPECT_NE(error.find("token 3 is out of range for 3 tokens"),
            std::string::npos)
      << error;
  EXPECT_FALSE(k::tokensGrad(Tensor({1, 6, 4}), {1, 4, 2, 2}, out, error));
  EXPECT_NE(error.find("are not the tokens of an image"), std::string::npos)
      << error;
  EXPECT_FALSE(k::batchSumTokens(Tensor({1, 2, 4}), 3, out, error));
  EXPECT_NE(error.find("cannot sum 3 tokens"), std::string::npos) << error;
}

} // namespace
