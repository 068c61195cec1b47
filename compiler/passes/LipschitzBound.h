// Upper bounds on Lipschitz constants (l2 to l2) of res-dialect models, per
// op, per residual block and for the whole network. Shared by the
// res-lipschitz and res-prune-identity passes and by `resc info`.
//
// Every bound is a product and sum of per-op bounds along the data flow:
//   conv           sqrt(m) * max_g ||W_g||_2, with W_g the group's weight
//                  reshaped to [out/g, in/g * kh * kw] and m the most
//                  output windows one input pixel falls in,
//                  ceil(kh * gcd(sh, dh) / sh) * ceil(kw * gcd(sw, dw) / sw);
//                  valid because the im2col map repeats each input at most
//                  m times and zero padding only removes terms
//   dense          ||W||_2
//   batch norm     max_c |weight_c| / sqrt(running_var_c + eps)
//   relu, tanh, identity 1; sigmoid 1/4; gelu 1.13 (max of its slope)
//   max pool       sqrt(m) (windows may share their maximum)
//   average pool   sqrt(m / (kh * kw)); global average 1 / sqrt(H * W)
//   upsample(f)    f; flatten 1; softmax 1
//   add            L(lhs) + L(rhs); concat sqrt(L(lhs)^2 + L(rhs)^2)
//   residual       L(after) * |a| * (L(S) + |h| * L(F))
//   tied repeat    L(body)^count
// With NormMethod::Certified, ||W||_2 is a guaranteed upper bound (see
// OperatorNorm.h) and so is every result. With NormMethod::PowerIteration
// it is power iteration's estimate, a lower bound of ||W||_2 that is
// usually within a percent of it: the results are then estimates of the
// certified formula above, not guarantees.
#ifndef RESC_COMPILER_PASSES_LIPSCHITZBOUND_H
#define RESC_COMPILER_PASSES_LIPSCHITZBOUND_H

#include "dialect/ResDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"

#include <string>
#include <vector>

namespace res {

enum class NormMethod { Certified, PowerIteration };

struct LipschitzBoundOptions {
  NormMethod method = NormMethod::Certified;
  unsigned iterations = 100;
};

struct BlockLipschitz {
  ResidualOp block;
  std::string name;
  double branch = 0;   // L(F)
  double shortcut = 1; // L(S), 1 for the identity
  double total = 0;    // the residual row of the table above
  /// How often the block runs: the product of the counts of the tied
  /// repeats around it.
  int64_t applications = 1;
  /// Inside another block's branch or shortcut (not a factor of the
  /// product over blocks).
  bool nested = false;
};

struct ModelLipschitz {
  /// Every residual block, outer before inner, in program order.
  std::vector<BlockLipschitz> blocks;
  /// Product over the outermost blocks of total^applications: the gain of the
  /// residual stack alone (Pi(1 + L_i) when a = h = 1 and shortcuts are
  /// identities).
  double blockProduct = 1;
  /// The bound of the whole function, from its inputs to its results.
  double network = 0;
  /// Layers whose parameters are supplied at run time: their bound, and
  /// every bound through them, is +inf.
  std::vector<std::string> unknown;
  /// Layers that have no finite global bound whatever their parameters (a
  /// layer norm): every bound through them is +inf.
  std::vector<std::string> unboundable;
};

/// Computes bounds over a model; caches the norm of each parameter, so
/// shared and tied weights are analysed once.
class LipschitzAnalysis {
public:
  explicit LipschitzAnalysis(LipschitzBoundOptions options = {})
      : options(options) {}

  /// The bound of one op with one tensor input (+inf if its parameters are
  /// not bound or the op is not known here).
  double opBound(mlir::Operation *op);

  /// The bound of a residual branch, shortcut or repeat body, from its
  /// block argument to its yield. Blocks inside are recorded in `blocks`
  /// when it is non-null, with `applications` as the outer repeat count.
  double regionBound(mlir::Region &region,
                     std::vector<BlockLipschitz> *blocks = nullptr,
                     int64_t applications = 1);

  ModelLipschitz analyze(mlir::func::FuncOp fn);

  /// The norm bound of a linear layer's weight, as the method asks.
  double weightNorm(mlir::Value weight, int64_t groups);

private:
  double propagate(mlir::Block &block, llvm::ArrayRef<double> argBounds,
                   std::vector<BlockLipschitz> *blocks, int64_t applications,
                   llvm::SmallVectorImpl<double> &results);

  LipschitzBoundOptions options;
  llvm::DenseMap<std::pair<mlir::Operation *, int64_t>, double> normCache;
  std::vector<std::string> *unknown = nullptr;
  std::vector<std::string> *unboundable = nullptr;
};

/// Convenience wrapper: analyses `fn` with `options`.
ModelLipschitz computeLipschitz(mlir::func::FuncOp fn,
                                LipschitzBoundOptions options = {});

/// A bound formatted for messages: "inf" or 4 significant digits.
std::string formatBound(double bound);

} // namespace res

#endif
