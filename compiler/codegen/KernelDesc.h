// What one Halide kernel computes, independent of MLIR: the op family, the
// static shapes of its operands (every dim but the batch), its attributes and
// the epilogue fused into it. Two layers with equal descriptions share one
// compiled kernel; `key()` is the cache key (docs/design.md: kernels follow
// the number of distinct layer signatures, not the depth of the model).
//
// Layout. Activations live in the plan's buffers in an internal layout:
// a 4-D tensor [N, C, H, W] is stored channels-innermost, Halide dims
// (c, x, y, n) (NHWC in C terms), because the conv schedules vectorise over
// output channels and broadcast one input pixel, the arrangement that runs
// near FMA peak (docs/performance.md, "How the kernels are scheduled").
// Tensors of any other rank keep C order, Halide dims reversed: [N, F] is
// (f, n). The batch is always the outermost Halide dim and its extent is left
// to run time. Model inputs and outputs are converted at the boundary
// (ToInternal / FromInternal kernels).
#ifndef RESC_COMPILER_CODEGEN_KERNELDESC_H
#define RESC_COMPILER_CODEGEN_KERNELDESC_H

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace res {
enum class Activation : uint32_t;

namespace codegen {

/// Logical dims of a tensor without its batch dim: [C, H, W] for NCHW,
/// [F] for [N, F].
using Dims = std::vector<int64_t>;
using Pair = std::array<int64_t, 2>;

/// Halide extents, innermost first, of an activation with logical dims `d`
/// (batch excluded) in the internal layout.
std::vector<int> internalExtents(const Dims &d);
/// The Halide dim index of logical dim 1 (channels) in the internal layout.
int channelIndex(const Dims &d);
/// Number of floats of one batch element.
int64_t perSample(const Dims &d);

/// One step of an epilogue, applied in order to the value a kernel computes
/// before it is stored. Fusing these into the producer means BN, residual
/// sums and activations never make a round trip through memory.
struct EpilogueStage {
  enum Kind {
    /// v * scale[c] + shift[c]; scale and shift are operands `operand` and
    /// `operand + 1` (a batch norm that could not be folded into weights).
    Affine,
    /// v = act(v).
    Act,
    /// v = selfScale * v + otherScale * other, `other` being the batched
    /// operand `operand`; when it has fewer channels it is added to the
    /// first channels only (the add op's zero-padding rule). A residual
    /// block's sum is this with selfScale = output_scale * branch_scale and
    /// otherScale = output_scale.
    Combine,
    /// v = v * gate[n, c], `gate` being the batched operand `operand` of
    /// dims [C] or [C, 1, 1] (a gate's multiply, broadcast over H and W).
    Gate,
    /// v = v * scale[c], `scale` being the parameter operand `operand`
    /// read as given (C order): [C, 1, 1] or [C] (a channel_scale).
    ChannelScale,
  };
  Kind kind = Act;
  Activation act{};
  int operand = -1;
  double selfScale = 1.0, otherScale = 1.0;
};

enum class KernelKind {
  Conv,          // input, packed weight, bias, epilogue operands
  Dense,         // input, packed weight, bias, epilogue operands
  Elementwise,   // input, epilogue operands
  MaxPool,       // input
  AvgPool,       // input
  GlobalAvgPool, // input
  Upsample,      // input
  Concat,        // lhs, rhs
  Softmax,       // input
  LayerNorm,     // input[, weight, bias] (raw), epilogue operands
  Flatten,       // input
  ToInternal,    // input in C order (model input) -> internal layout
  FromInternal,  // internal layout -> C order (model output)
  // Tokens (TokenKernels.cpp); a token tensor [N, T, D] has dims [D, 1, T].
  TokenView,      // input: the same floats under the result's dims
  ClassToken,     // input, raw token [1, 1, D]
  PosEmbedding,   // input, raw embedding [1, T, D]
  TokenSelect,    // input [D, 1, T] -> [D]: token `offset`
  AttentionHeads, // q, k, v [3D, 1, T] -> [D, 1, T]; `groups` heads
  // Training (GradKernels.cpp, ConvGradKernels.cpp). Unbatched operands and
  // results of these are run-time tensors in C order (Halide dims reversed):
  // per-channel statistics, weight gradients and the raw parameters.
  ChannelMean,        // x -> [C]
  ChannelVar,         // x, mean -> [C]
  ChannelSum,         // x -> [C]
  BatchNormGradSums,  // dy, x, mean, var -> [2, C]: sum(dy), sum(dy * xhat)
  BatchNormGradGamma, // dy, x, mean, var -> [C]
  BatchNormGrad,      // dy, x, gamma, mean, var, sums -> dx
  BatchNormTrain,     // x, gamma, beta, mean, var -> y (batch statistics)
  Lerp,               // old, new (same shape, batched or not)
  Scale,              // x (batched or not)
  Sum,                // lhs, rhs of one shape (unbatched gradient sums)
  ActivationGrad,     // dy, x
  ConvGradInput,      // dy, raw weight
  ConvGradWeight,     // x, dy -> [O, C/g, KH, KW]
  DenseGradInput,     // dy, raw weight
  DenseGradWeight,    // x, dy -> [O, I]
  MaxPoolGrad,        // dy, x
  AvgPoolGrad,        // dy
  GlobalAvgPoolGrad,  // dy
  Reshape,            // x
  UpsampleGrad,       // dy
  SliceChannels,      // x
  SoftmaxGrad,        // dy, y
  ChannelMulGradGate, // dy, x -> sum over H, W of dy * x ([C] or [C, 1, 1])

  // Layer norm and channel_scale (NormKernels.cpp, GradKernels.cpp).
  LayerNormGrad,         // dy, x[, raw weight] -> dx
  LayerNormGradWeight,   // dy, x -> [C]: sum of dy * xhat
  ChannelScaleGradScale, // dy, x -> sum of dy * x per channel ([C, 1, 1], [D])

  // Gradients of the token ops (TokenGradKernels.cpp); tokens' is TokenView.
  ClassTokenGrad,     // dy [D, 1, T + 1] -> [D, 1, T]
  TokenBatchSum,      // dy [D, 1, T] -> [1, K, D] (C order, unbatched)
  TokenScatter,       // dy [D] -> [D, 1, T], token `offset`
  AttentionHeadsGrad, // dy [D, 1, T], qkv [3D, 1, T] -> [3D, 1, T]
};

const char *kindName(KernelKind kind);

struct Operand {
  /// Batched operands are activations (dims as `Dims`, internal layout);
  /// the others are packed parameters whose `dims` are Halide extents.
  bool batched = true;
  /// A batched operand in C order (a model input) rather than the internal
  /// layout; only ToInternal reads one.
  bool cOrder = false;
  Dims dims;
};

struct KernelDesc {
  KernelKind kind = KernelKind::Elementwise;
  std::vector<Operand> operands;
  Dims result;
  // Window ops (conv and pools).
  Pair kernel{1, 1}, stride{1, 1}, padding{0, 0}, dilation{1, 1};
  /// A conv's groups; the heads of AttentionHeads.
  int64_t groups = 1;
  /// A conv computed by Winograd's F(2x2, 3x3) (WinogradConvKernel.cpp):
  /// its weight operand is then the transformed 4x4 filter.
  bool winograd = false;
  /// The operand (a Combine stage's, of the result's dims) whose buffer the
  /// result may overwrite, or -1: the memory plan lets them share memory
  /// when that operand is read for the last time here
  /// (Plan.cpp, planMemory). The schedule then computes every output
  /// element exactly once (no shifted-inwards tiles), since a recomputed
  /// element would read its own output as the operand.
  int inPlaceOperand = -1;
  int64_t factor = 1; // upsample, upsample_grad
  /// Gradient ops and layer norm: epsilon (batch and layer norms), momentum
  /// (lerp) or the factor of scale; the slice's first channel and the
  /// token TokenSelect takes (`offset`); channel_var's
  /// divisor; the activation of activation_grad.
  double real = 0.0;
  int64_t offset = 0;
  bool unbiased = false;
  /// layer_norm: operands 1 and 2 are its weight and bias.
  bool affine = false;
  Activation act{};
  /// False when the result has no batch dim (`result` is then its whole
  /// shape, C order): channel statistics and weight gradients.
  bool resultBatched = true;
  std::vector<EpilogueStage> epilogue;

  /// Whether `kernel`, `stride`, `padding`, `dilation` and `groups` mean
  /// something: convolutions, pools and their gradients.
  bool hasWindow() const;
  /// A string that names everything the generated code depends on; equal
  /// keys mean interchangeable kernels. Includes the schedule's name.
  std::string key() const;
  /// Floating-point operations of one batch element (multiply-adds count
  /// two), for GFLOP/s reports.
  double flopsPerSample() const;
};

} // namespace codegen
} // namespace res

#endif
