// Spectral-norm bounds (see OperatorNorm.h). Power iteration alone only
// approaches ||M||_2 from below, so the certified side comes from norms that
// are provably at least as large: Frobenius, the Schur test, and the trace
// of a power of the Gram matrix, lambda_max(G)^p <= trace(G^p) for G = M M^T
// positive semi-definite, which is within n^(1/p) of the truth.
#include "compiler/passes/OperatorNorm.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace res {

namespace {

/// Dot product with four partial sums so the compiler can vectorise it
/// without reassociating floating point on its own.
double dot(const double *a, const double *b, int64_t n) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += a[i] * b[i];
    s1 += a[i + 1] * b[i + 1];
    s2 += a[i + 2] * b[i + 2];
    s3 += a[i + 3] * b[i + 3];
  }
  for (; i < n; ++i)
    s0 += a[i] * b[i];
  return (s0 + s1) + (s2 + s3);
}

/// Rows of the n x k row-major `a` give the symmetric n x n Gram a a^T.
std::vector<double> gram(const std::vector<double> &a, int64_t n, int64_t k) {
  std::vector<double> g(n * n);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j <= i; ++j)
      g[i * n + j] = g[j * n + i] = dot(&a[i * k], &a[j * k], k);
  return g;
}

/// sqrt(lambda_max(M M^T)) bounded by trace(G^(2^s))^(1/2^(s+1)), squaring
/// G `squarings` times and renormalising to its trace each time so nothing
/// overflows: with G_0 = G / t_0 and G_{i+1} = G_i^2 / t_{i+1},
/// trace(G^(2^s)) = t_0^(2^s) * t_1^(2^(s-1)) * ... * t_s.
double gramTraceBound(std::vector<double> g, int64_t n, unsigned squarings) {
  auto trace = [&](const std::vector<double> &x) {
    double t = 0;
    for (int64_t i = 0; i < n; ++i)
      t += x[i * n + i];
    return t;
  };
  double t0 = trace(g);
  if (!(t0 > 0))
    return 0;
  for (double &v : g)
    v /= t0;
  double logBound = std::log(t0); // log of lambda_max bound, refined below
  double weight = 0.5;
  for (unsigned s = 0; s < squarings; ++s) {
    g = gram(g, n, n); // G symmetric: G G^T = G^2
    double t = trace(g);
    if (!(t > 0))
      break;
    for (double &v : g)
      v /= t;
    logBound += weight * std::log(t);
    weight *= 0.5;
  }
  return std::sqrt(std::exp(logBound));
}

} // namespace

NormBounds spectralNormBounds(llvm::ArrayRef<double> m, int64_t rows,
                              int64_t cols, unsigned iterations,
                              double budget) {
  NormBounds out;
  if (rows <= 0 || cols <= 0)
    return out;
  double frob = 0;
  std::vector<double> rowSum(rows, 0), colSum(cols, 0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      double v = m[r * cols + c];
      frob += v * v;
      rowSum[r] += std::abs(v);
      colSum[c] += std::abs(v);
    }
  frob = std::sqrt(frob);
  double schur = std::sqrt(*std::max_element(rowSum.begin(), rowSum.end()) *
                           *std::max_element(colSum.begin(), colSum.end()));
  out.upper = frob;
  if (schur < out.upper) {
    out.upper = schur;
    out.upperBy = "schur";
  }

  // The Gram matrix of the shorter side, as rows of a contiguous matrix.
  int64_t n = std::min(rows, cols), k = std::max(rows, cols);
  double gramCost = double(n) * n * k / 2;
  if (gramCost <= budget) {
    std::vector<double> a(m.begin(), m.end());
    if (rows > cols) { // transpose so the rows are the short side
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c)
          a[c * rows + r] = m[r * cols + c];
    }
    unsigned squarings = 0;
    double cube = double(n) * n * n / 2;
    while (squarings < 8 && gramCost + (squarings + 1) * cube <= budget)
      ++squarings;
    double bound = gramTraceBound(gram(a, n, k), n, squarings);
    if (bound < out.upper) {
      out.upper = bound;
      out.upperBy = "gram-trace";
    }
  }
  out.upper *= 1 + 1e-9;

  // Power iteration on M^T M from a fixed, dense start vector, so results
  // are reproducible.
  std::vector<double> v(cols), u(rows);
  for (int64_t c = 0; c < cols; ++c)
    v[c] = 1.0 + 0.5 * std::sin(double(c) * 1.618);
  auto normalise = [](std::vector<double> &x) {
    double s = std::sqrt(dot(x.data(), x.data(), x.size()));
    if (s > 0)
      for (double &e : x)
        e /= s;
    return s;
  };
  normalise(v);
  for (unsigned it = 0; it <= iterations; ++it) {
    for (int64_t r = 0; r < rows; ++r)
      u[r] = dot(&m[r * cols], v.data(), cols);
    double norm = std::sqrt(dot(u.data(), u.data(), rows));
    out.lower = std::max(out.lower, norm);
    if (it == iterations || norm == 0)
      break;
    std::fill(v.begin(), v.end(), 0);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c)
        v[c] += m[r * cols + c] * u[r];
    normalise(v);
  }
  // Rounding could put the estimate a hair above a tight upper bound.
  out.lower = std::min(out.lower, out.upper);
  return out;
}

} // namespace res
