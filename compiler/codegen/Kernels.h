// The Halide side of code generation: one builder per op family, each
// returning the algorithm and its CPU schedule as a Pipeline whose inputs are
// ImageParams with every bound and stride pinned (only the batch extent is
// left to run time), so that indexing compiles to constant offsets
// (docs/performance.md, "How the kernels are scheduled", technique 6).
//
// Each family's algorithm and schedule sit together in one file, like
// Halide's apps: ConvKernel.cpp, DenseKernel.cpp, PoolKernels.cpp,
// ElementwiseKernels.cpp.
#ifndef RESC_COMPILER_CODEGEN_KERNELS_H
#define RESC_COMPILER_CODEGEN_KERNELS_H

#include "compiler/codegen/KernelDesc.h"

#include <Halide.h>

#include <string>
#include <vector>

namespace res {
namespace codegen {

struct HalideKernel {
  Halide::Pipeline pipeline;
  /// One per operand of the description, in order.
  std::vector<Halide::ImageParam> inputs;
  /// A one-line description of the schedule, for --verbose and reports.
  std::string schedule;
};

/// Builds the algorithm and schedule of `desc` for `target`. Throws
/// Halide::CompileError (through Halide's user_assert) on descriptions that
/// Halide rejects; the cache turns that into an error message.
HalideKernel buildKernel(const KernelDesc &desc, const Halide::Target &target);

HalideKernel buildConv(const KernelDesc &desc, const Halide::Target &target);
/// The conv of a description with `winograd` set (WinogradConvKernel.cpp).
HalideKernel buildWinogradConv(const KernelDesc &desc,
                               const Halide::Target &target);
/// Whether a conv with the window of `conv` (kernel, stride, dilation,
/// groups) from `input` to `result` (logical dims) is computed by Winograd's
/// F(2x2, 3x3) on CPU targets; the lowering decides, so that the weights are
/// packed for it.
bool useWinograd(const KernelDesc &conv, const Dims &input, const Dims &result);
HalideKernel buildDense(const KernelDesc &desc, const Halide::Target &target);
HalideKernel buildPool(const KernelDesc &desc, const Halide::Target &target);
HalideKernel buildElementwise(const KernelDesc &desc,
                              const Halide::Target &target);
HalideKernel buildDataMovement(const KernelDesc &desc,
                               const Halide::Target &target);
HalideKernel buildSoftmax(const KernelDesc &desc, const Halide::Target &target);
/// TokenView, ClassToken, PosEmbedding, TokenSelect (TokenKernels.cpp).
HalideKernel buildTokenKernel(const KernelDesc &desc,
                              const Halide::Target &target);
HalideKernel buildAttentionHeads(const KernelDesc &desc,
                                 const Halide::Target &target);
/// ClassTokenGrad, TokenBatchSum, TokenScatter (TokenGradKernels.cpp).
HalideKernel buildTokenGrad(const KernelDesc &desc,
                            const Halide::Target &target);
HalideKernel buildAttentionHeadsGrad(const KernelDesc &desc,
                                     const Halide::Target &target);
/// Layer norm over the innermost internal dim and its two gradients
/// (NormKernels.cpp).
HalideKernel buildLayerNorm(const KernelDesc &desc,
                            const Halide::Target &target);
HalideKernel buildLayerNormGrad(const KernelDesc &desc,
                                const Halide::Target &target);
HalideKernel buildLayerNormGradWeight(const KernelDesc &desc,
                                      const Halide::Target &target);
/// Training kernels: channel statistics, batch-norm gradients, pointwise
/// and pooling gradients (GradKernels.cpp), and the two convolution
/// gradients (ConvGradKernels.cpp).
HalideKernel buildGrad(const KernelDesc &desc, const Halide::Target &target);
HalideKernel buildConvGrad(const KernelDesc &desc,
                           const Halide::Target &target);

//===----------------------------------------------------------------------===//
// Helpers shared by the builders (KernelCommon.cpp)
//===----------------------------------------------------------------------===//

/// f32 lanes of the widest SIMD unit of `target` (16 with AVX-512).
int vectorWidth(const Halide::Target &target);
/// Vector registers the register tiles may use (32 with AVX-512, else 16).
int vectorRegisters(const Halide::Target &target);

/// An ImageParam for `operand`, bounds and strides pinned to a dense buffer
/// in its layout; batched operands get a free batch extent with min 0.
Halide::ImageParam makeInput(const Operand &operand, const std::string &name);
/// makeInput for every operand of `desc`, named in0, in1, ...
std::vector<Halide::ImageParam> makeInputs(const KernelDesc &desc);
/// Pins the output buffer of `out` to a dense batched tensor of `dims`.
void pinOutput(Halide::Func out, const Dims &dims);

/// Vars named v0, v1, ... for a Func of `n` dims.
std::vector<Halide::Var> makeVars(int n);
std::vector<Halide::Expr> asExprs(const std::vector<Halide::Var> &vars);

/// Applies desc.epilogue to `value`, the result at internal coordinates
/// `args` (batch last) of a tensor with logical dims `dims`.
Halide::Expr applyEpilogue(Halide::Expr value, const KernelDesc &desc,
                           const std::vector<Halide::ImageParam> &inputs,
                           const std::vector<Halide::Expr> &args,
                           const Dims &dims);

/// Weight (o, i, kx, ky) of a conv weight packed in blocks of output
/// channels (packedConvWeightDims); with o a vector aligned to the block,
/// one dense load.
Halide::Expr packedWeight(const Halide::ImageParam &weight, Halide::Expr o,
                          Halide::Expr i, Halide::Expr kx, Halide::Expr ky);

/// One element of an activation, with the interpreter's semantics
/// (relu keeps NaN, gelu is the erf form).
Halide::Expr activate(Activation kind, Halide::Expr v);

/// Runs loop `v` of `stage` in parallel, `perTask` iterations per task
/// (the last task guarded): Halide's thread pool hands out one iteration at
/// a time, so iterations that are little work are grouped.
void parallelInTasks(Halide::Stage stage, const Halide::Var &v, int perTask);

/// The schedule of a pointwise output: the innermost dim vectorised, the
/// rest fused with the batch and run in parallel in chunks big enough to
/// pay for a task. Returns a description.
std::string schedulePointwise(Halide::Func out,
                              const std::vector<Halide::Var> &vars,
                              const std::vector<int> &extents,
                              const Halide::Target &target);
/// Finishes a kernel whose output `out` is pointwise: pins it to a batched
/// tensor of `result`, schedules it (schedulePointwise) and sets the
/// kernel's pipeline and its schedule description, prefixed by `what`.
HalideKernel finishPointwise(Halide::Func out,
                             const std::vector<Halide::Var> &vars,
                             HalideKernel k, const Dims &result,
                             const Halide::Target &target,
                             const std::string &what);

/// The register tile of a convolution: `vectors` output-channel vectors x
/// `pixels` pixels of a row, chosen by the cost model in ConvKernel.cpp.
struct Tile {
  int vectors = 1;
  int pixels = 1;
};
Tile chooseTile(int channelVectors, int width, int registers, int taps = 1,
                bool wholeBlocks = false, bool wholeRows = false);

/// Runs the fused (tile row, channel block, image) loop `t` of a conv's
/// output in parallel, in tasks of several rows where a row is little work
/// (ConvKernel.cpp, rowsPerTask), specialised for batch 1. `macsPerRow`:
/// the multiply-adds of one tile row; `rowsPerImage`: the tile rows of one
/// image (rows x channel blocks). Returns a description.
std::string parallelRows(Halide::Func out, const Halide::Var &t,
                         int64_t macsPerRow, int64_t rowsPerImage);

/// Whether a row of `width` pixels splits into register tiles of 3-8
/// pixels exactly, as a conv that writes over its residual needs
/// (KernelDesc::inPlaceOperand); rows like 11 would get 1-pixel tiles.
bool rowSplitsIntoTiles(int width);

/// Whether a register-tiled conv of `channelVectors` output-channel vectors
/// runs the window's columns (KW of them, stride sx) inside the reduction's
/// channels, so that one broadcast input feeds several taps (ConvKernel.cpp).
bool windowColumnsInner(int channelVectors, int sx, int KW);

/// Vectorises `v` of `f` (extent `extent`) as wide as the target allows
/// without reading or writing outside the buffer: exact when the width
/// divides the extent, shifted inwards otherwise, not at all below 4.
/// Returns the width used (1: none).
int vectorizeInner(Halide::Func f, Halide::Var v, int extent,
                   const Halide::Target &target);

//===----------------------------------------------------------------------===//
// GPU schedules (GpuSchedules.cpp)
//===----------------------------------------------------------------------===//

/// Whether kernels for `target` run on a GPU (a target with cuda, opencl,
/// metal...): the builders then use the schedules below.
bool usesGpu(const Halide::Target &target);

struct GpuSchedule {
  Halide::Var block, thread;
  std::string description;
};

/// One GPU thread per element of `out` (dims `vars`, innermost first).
GpuSchedule scheduleGpuPointwise(Halide::Func out,
                                 const std::vector<Halide::Var> &vars);
/// As scheduleGpuPointwise, with `acc` (a reduction that `out` reads at the
/// same point) computed per thread. Returns a description.
std::string scheduleGpuReduction(Halide::Func out, Halide::Func acc,
                                 const std::vector<Halide::Var> &vars);

} // namespace codegen
} // namespace res

#endif
