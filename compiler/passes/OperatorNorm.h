// Bounds on the spectral norm (largest singular value) of a dense matrix,
// the building block of the Lipschitz bounds of convolutions and dense
// layers.
#ifndef RESC_COMPILER_PASSES_OPERATORNORM_H
#define RESC_COMPILER_PASSES_OPERATORNORM_H

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>

namespace res {

struct NormBounds {
  /// A guaranteed upper bound on ||M||_2 (up to floating-point rounding,
  /// which the bound covers with a relative margin of 1e-9).
  double upper = 0;
  /// ||M v|| for the unit vector v that power iteration ends with: a
  /// guaranteed lower bound on ||M||_2 that converges to it.
  double lower = 0;
  /// Which bound gave `upper`: "frobenius", "schur" (sqrt(||M||_1
  /// ||M||_inf)) or "gram-trace" (trace((M M^T)^p)^(1/2p)).
  const char *upperBy = "frobenius";
};

/// Bounds on ||M||_2 of the row-major `rows` x `cols` matrix `m`.
/// `iterations` power-iteration steps give `lower`. The gram-trace bound,
/// the tightest of the three, costs about n^2 * max(rows, cols) +
/// p * n^3 multiply-adds with n = min(rows, cols); it is used while that
/// stays within `budget`.
NormBounds spectralNormBounds(llvm::ArrayRef<double> m, int64_t rows,
                              int64_t cols, unsigned iterations,
                              double budget = 4e8);

} // namespace res

#endif
