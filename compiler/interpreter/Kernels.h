// The op kernels of the reference interpreter: plain functions on
// resc::Tensor with the semantics of PyTorch's modules in inference mode.
// They hold no MLIR state, so a gradient checker can call them directly.
//
// Every kernel checks its operands first: the IR allows dynamic dims, so only
// run time knows whether, say, a conv's input channels fit its weight. On a
// mismatch a kernel returns false and puts a message in `error`, saying what
// was expected; it never reads out of bounds.
#ifndef RESC_COMPILER_INTERPRETER_KERNELS_H
#define RESC_COMPILER_INTERPRETER_KERNELS_H

#include "resc/Tensor.h"

#include <array>
#include <cstdint>
#include <string>
#include <utility>

namespace res {

// Defined by the dialect (ResEnums.h.inc); declared opaquely so that this
// header does not pull MLIR in.
enum class Activation : uint32_t;

namespace kernels {

using Pair = std::array<int64_t, 2>;

struct Conv2DAttrs {
  Pair stride = {1, 1};
  Pair padding = {0, 0};
  Pair dilation = {1, 1};
  int64_t groups = 1;
};

struct Pool2DAttrs {
  Pair kernel = {1, 1};
  Pair stride = {1, 1};
  Pair padding = {0, 0};
};

/// x [N, C, H, W], w [O, C/groups, KH, KW], optional bias [O].
bool conv2d(const resc::Tensor &x, const resc::Tensor &w,
            const resc::Tensor *bias, const Conv2DAttrs &attrs,
            resc::Tensor &out, std::string &error);

/// Inference batch norm over dim 1 of x (rank >= 2) with running statistics.
bool batchNorm(const resc::Tensor &x, const resc::Tensor &weight,
               const resc::Tensor &bias, const resc::Tensor &mean,
               const resc::Tensor &var, double epsilon, resc::Tensor &out,
               std::string &error);

/// One element; GELU is the exact erf form (PyTorch's default).
float activate(Activation kind, float x);
bool activation(const resc::Tensor &x, Activation kind, resc::Tensor &out,
                std::string &error);

/// Padding never wins a max (it is -inf).
bool maxPool2d(const resc::Tensor &x, const Pool2DAttrs &attrs,
               resc::Tensor &out, std::string &error);
/// Padding counts as zeros (count_include_pad=True).
bool avgPool2d(const resc::Tensor &x, const Pool2DAttrs &attrs,
               resc::Tensor &out, std::string &error);

/// [N, C, H, W] -> [N, C].
bool globalAvgPool(const resc::Tensor &x, resc::Tensor &out,
                   std::string &error);

/// x [N, C, H, W] times g [N, C] or [N, C, 1, 1], broadcast over H and W
/// (a gate's multiply).
bool channelMul(const resc::Tensor &x, const resc::Tensor &g, resc::Tensor &out,
                std::string &error);

/// [N, ...] -> [N, prod(...)], keeping C order.
bool flatten(const resc::Tensor &x, resc::Tensor &out, std::string &error);

/// Where the features of a tensor lie for the ops that work on them
/// (dense, layernorm): dim 1 of [N, C, H, W], whose features are H*W
/// apart; the last dim of [N, D] and [N, T, D]. Feature f of position
/// (o, i) is at (o * features + f) * inner + i.
struct FeatureLayout {
  int64_t outer = 0, features = 0, inner = 0;
  size_t dim = 0; // which dim holds the features
  int64_t at(int64_t o, int64_t f, int64_t i) const {
    return (o * features + f) * inner + i;
  }
};

/// The layout of a tensor of rank 2, 3 or 4; false with `error` otherwise.
bool featureLayout(const resc::Tensor &x, const char *what,
                   FeatureLayout &layout, std::string &error);

/// The same for the ops whose ranks are those of layerNormAxis (layer norm,
/// channel scale): [N, C, H, W], [N, T, D] or [N, D].
bool normLayout(const resc::Tensor &x, FeatureLayout &layout,
                std::string &error);

/// The mean and 1 / sqrt(var + epsilon) of the features at position (o, k)
/// of a layer norm's input, in double: one definition for the forward pass
/// and both gradients.
std::pair<double, double> layerNormStats(const resc::Tensor &x,
                                         const FeatureLayout &r, int64_t o,
                                         int64_t k, double epsilon);
/// false with "epsilon must be positive" unless epsilon > 0 (NaN included).
bool checkLayerNormEpsilon(double epsilon, std::string &error);

/// y = x W^T + b over the features of x ([N, I], [N, T, I] or, per pixel,
/// [N, I, H, W]), w [O, I], optional bias [O]; y has O features.
bool dense(const resc::Tensor &x, const resc::Tensor &w,
           const resc::Tensor *bias, resc::Tensor &out, std::string &error);

/// Nearest neighbour: out[h][w] = in[h / factor][w / factor].
bool upsample(const resc::Tensor &x, int64_t factor, resc::Tensor &out,
              std::string &error);

/// `b` may have fewer channels (dim 1) than `a`; it is then added to the
/// first channels only, as if padded with zero channels.
bool add(const resc::Tensor &a, const resc::Tensor &b, resc::Tensor &out,
         std::string &error);

/// On dim 1; all other dims must agree.
bool concat(const resc::Tensor &a, const resc::Tensor &b, resc::Tensor &out,
            std::string &error);

/// Over the last dim, shifted by the row maximum so large inputs don't
/// overflow.
bool softmax(const resc::Tensor &x, resc::Tensor &out, std::string &error);

/// Layer norm over dim layerNormAxis(rank) (C of [N, C, H, W], D of
/// [N, D]) with the biased variance, as PyTorch's layer_norm;
/// `weight` and `bias` ([features]) both null or both given.
bool layerNorm(const resc::Tensor &x, const resc::Tensor *weight,
               const resc::Tensor *bias, double epsilon, resc::Tensor &out,
               std::string &error);

/// x times a scale per channel: s [C, 1, 1] for x [N, C, H, W], [D] for
/// [N, D] (a layer scale).
bool channelScale(const resc::Tensor &x, const resc::Tensor &s,
                  resc::Tensor &out, std::string &error);

/// The sum of a residual block: outputScale * (s + branchScale * f).
bool residualSum(const resc::Tensor &s, const resc::Tensor &f,
                 double branchScale, double outputScale, resc::Tensor &out,
                 std::string &error);

/// y = act(convScale * conv2d(x, w, bias) + residualScale * residual), the
/// sum in double; `residual` (may be null) has y's shape or fewer channels,
/// as for add(). `act` null: no activation.
bool fusedConv2d(const resc::Tensor &x, const resc::Tensor &w,
                 const resc::Tensor *bias, const resc::Tensor *residual,
                 const Conv2DAttrs &attrs, double convScale,
                 double residualScale, const Activation *act, resc::Tensor &out,
                 std::string &error);

/// The weight [O, ...] and bias [O] of a layer with the inference batch norm
/// after it folded in, in double: s = gamma / sqrt(var + eps),
/// W' = W * s[o], b' = (b - mean) * s + beta (b = 0 when `bias` is null).
bool foldBatchNormParams(const resc::Tensor &w, const resc::Tensor &gamma,
                         const resc::Tensor &beta, const resc::Tensor &mean,
                         const resc::Tensor &var, const resc::Tensor *bias,
                         double epsilon, resc::Tensor &foldedWeight,
                         resc::Tensor &foldedBias, std::string &error);

} // namespace kernels
} // namespace res

#endif
