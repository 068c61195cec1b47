// Helpers shared by the kernel builders: pinned inputs and outputs, the
// fused epilogue, activations and the pointwise schedule.
#include "compiler/codegen/Kernels.h"

#include "dialect/ResDialect.h"
#include "format/WeightPacking.h"

#include <cmath>

using namespace Halide;

namespace res {
namespace codegen {

int vectorWidth(const Target &target) {
  return target.natural_vector_size<float>();
}

int vectorRegisters(const Target &target) {
  return target.has_feature(Target::AVX512) ? 32 : 16;
}

namespace {
std::vector<int> extentsOf(const Operand &operand) {
  if (operand.batched && !operand.cOrder)
    return internalExtents(operand.dims);
  if (operand.batched)
    return std::vector<int>(operand.dims.rbegin(), operand.dims.rend());
  return std::vector<int>(operand.dims.begin(), operand.dims.end());
}

/// Dense strides, innermost first; the batch stride follows the last dim.
template <typename Param>
void pin(Param p, const std::vector<int> &extents, bool batched) {
  int stride = 1;
  for (size_t i = 0; i < extents.size(); ++i) {
    p.dim(int(i)).set_bounds(0, extents[i]).set_stride(stride);
    stride *= extents[i];
  }
  if (batched)
    p.dim(int(extents.size())).set_min(0).set_stride(stride);
}
} // namespace

ImageParam makeInput(const Operand &operand, const std::string &name) {
  std::vector<int> extents = extentsOf(operand);
  ImageParam p(Float(32), int(extents.size()) + (operand.batched ? 1 : 0),
               name);
  pin(p, extents, operand.batched);
  return p;
}

std::vector<ImageParam> makeInputs(const KernelDesc &desc) {
  std::vector<ImageParam> inputs;
  for (size_t i = 0; i < desc.operands.size(); ++i)
    inputs.push_back(makeInput(desc.operands[i], "in" + std::to_string(i)));
  return inputs;
}

void pinOutput(Func out, const Dims &dims) {
  pin(out.output_buffer(), internalExtents(dims), true);
}

std::vector<Var> makeVars(int n) {
  std::vector<Var> vars;
  for (int i = 0; i < n; ++i)
    // Not "v0", "v1"...: Halide names its own temporaries (a default Var,
    // such as the inner var of vectorize) with one letter and a global
    // count, so a "v1" of ours could be the same var as one of Halide's and
    // the schedule would split, fuse or vectorise the wrong loop.
    vars.emplace_back("dim" + std::to_string(i));
  return vars;
}

std::vector<Expr> asExprs(const std::vector<Var> &vars) {
  return std::vector<Expr>(vars.begin(), vars.end());
}

Expr packedWeight(const ImageParam &weight, Expr o, Expr i, Expr kx, Expr ky) {
  const int block = int(resc::format::kConvWeightBlock);
  return weight(o % block, i, kx, ky, o / block);
}

Expr activate(Activation kind, Expr v) {
  switch (kind) {
  case Activation::identity:
    return v;
  case Activation::relu:
    // select, not max: a NaN stays NaN, as in torch.relu.
    return select(v < 0.0f, 0.0f, v);
  case Activation::gelu:
    return 0.5f * v * (1.0f + erf(v * float(1.0 / std::sqrt(2.0))));
  case Activation::sigmoid:
    return 1.0f / (1.0f + exp(-v));
  case Activation::tanh:
    return tanh(v);
  case Activation::relu6:
    // Selects keep NaN as NaN, as the interpreter and torch do.
    return select(v < 0.0f, 0.0f, select(v > 6.0f, 6.0f, v));
  case Activation::hardsigmoid:
    return select(v <= -3.0f, 0.0f, select(v >= 3.0f, 1.0f, v / 6.0f + 0.5f));
  case Activation::hardswish:
    return select(v <= -3.0f, 0.0f,
                  select(v >= 3.0f, v, v * (v + 3.0f) / 6.0f));
  case Activation::silu:
    return v / (1.0f + exp(-v));
  }
  return v;
}

Expr applyEpilogue(Expr value, const KernelDesc &desc,
                   const std::vector<ImageParam> &inputs,
                   const std::vector<Expr> &args, const Dims &dims) {
  const int ch = channelIndex(dims);
  for (const EpilogueStage &s : desc.epilogue) {
    switch (s.kind) {
    case EpilogueStage::Affine:
      value =
          value * inputs[s.operand](args[ch]) + inputs[s.operand + 1](args[ch]);
      break;
    case EpilogueStage::Act:
      value = activate(s.act, value);
      break;
    case EpilogueStage::Combine: {
      const Dims &otherDims = desc.operands[s.operand].dims;
      const int64_t channels = otherDims[0];
      std::vector<Expr> at = args;
      Expr self =
          float(s.selfScale) == 1.0f ? value : float(s.selfScale) * value;
      if (channels < dims[0]) {
        // The add op's rule: fewer channels are added to the first ones.
        at[ch] = min(args[ch], int(channels - 1));
        Expr other = inputs[s.operand](at);
        if (float(s.otherScale) != 1.0f)
          other = float(s.otherScale) * other;
        value = select(args[ch] < int(channels), self + other, self);
      } else {
        Expr other = inputs[s.operand](at);
        if (float(s.otherScale) != 1.0f)
          other = float(s.otherScale) * other;
        value = self + other;
      }
      break;
    }
    case EpilogueStage::Gate: {
      // One value per (channel, sample): [C] or [C, 1, 1].
      const ImageParam &gate = inputs[s.operand];
      value =
          value * (gate.dimensions() == 2 ? gate(args[ch], args.back())
                                          : gate(args[ch], 0, 0, args.back()));
      break;
    }
    case EpilogueStage::ChannelScale: {
      // A raw parameter, C order reversed: [C, 1, 1] is (1, 1, C).
      const ImageParam &scale = inputs[s.operand];
      value = value * (scale.dimensions() == 3 ? scale(0, 0, args[ch])
                                               : scale(args[ch]));
      break;
    }
    }
  }
  return value;
}

int vectorizeInner(Func f, Var v, int extent, const Target &target) {
  int width = vectorWidth(target);
  while (width > extent && width > 4)
    width /= 2;
  if (width > extent)
    return 1;
  f.vectorize(v, width,
              extent % width == 0 ? TailStrategy::Auto
                                  : TailStrategy::ShiftInwards);
  return width;
}

void parallelInTasks(Stage stage, const Var &v, int perTask) {
  if (perTask > 1) {
    Var task("task");
    stage.split(v, task, v, perTask, TailStrategy::GuardWithIf).parallel(task);
  } else {
    stage.parallel(v);
  }
}

std::string schedulePointwise(Func out, const std::vector<Var> &vars,
                              const std::vector<int> &extents,
                              const Target &target) {
  if (usesGpu(target))
    return scheduleGpuPointwise(out, vars).description;
  // Vectorise the innermost (contiguous) dim; fuse every outer dim with
  // the batch into one loop and split it into parallel chunks of about 16K
  // elements, enough work per task to hide the thread pool's overhead.
  int width = vectorizeInner(out, vars[0], extents[0], target);
  Var fused = vars.back();
  for (int i = int(vars.size()) - 2; i >= 1; --i) {
    Var next("fused" + std::to_string(i));
    out.fuse(vars[i], fused, next);
    fused = next;
  }
  int64_t rowElems = extents[0];
  int64_t rowsPerTask = std::max<int64_t>(1, (16 * 1024) / rowElems);
  parallelInTasks(out, fused, int(rowsPerTask));
  return "pointwise: vector " + std::to_string(width) + ", " +
         std::to_string(rowsPerTask) + " rows per task";
}

HalideKernel finishPointwise(Func out, const std::vector<Var> &vars,
                             HalideKernel k, const Dims &result,
                             const Target &target, const std::string &what) {
  pinOutput(out, result);
  k.schedule = what + " " +
               schedulePointwise(out, vars, internalExtents(result), target);
  k.pipeline = Pipeline(out);
  return k;
}

HalideKernel buildKernel(const KernelDesc &desc, const Target &target) {
  if (!desc.resultBatched && desc.kind == KernelKind::FromInternal)
    return buildGrad(desc, target); // an unbatched model output: a copy
  switch (desc.kind) {
  case KernelKind::Conv:
    return buildConv(desc, target);
  case KernelKind::Dense:
    return buildDense(desc, target);
  case KernelKind::MaxPool:
  case KernelKind::AvgPool:
  case KernelKind::GlobalAvgPool:
    return buildPool(desc, target);
  case KernelKind::Elementwise:
    return buildElementwise(desc, target);
  case KernelKind::Softmax:
    return buildSoftmax(desc, target);
  case KernelKind::LayerNorm:
    return buildLayerNorm(desc, target);
  case KernelKind::TokenView:
  case KernelKind::ClassToken:
  case KernelKind::PosEmbedding:
  case KernelKind::TokenSelect:
    return buildTokenKernel(desc, target);
  case KernelKind::AttentionHeads:
    return buildAttentionHeads(desc, target);
  case KernelKind::ClassTokenGrad:
  case KernelKind::TokenBatchSum:
  case KernelKind::TokenScatter:
    return buildTokenGrad(desc, target);
  case KernelKind::AttentionHeadsGrad:
    return buildAttentionHeadsGrad(desc, target);
  case KernelKind::Upsample:
  case KernelKind::Concat:
  case KernelKind::Flatten:
  case KernelKind::ToInternal:
  case KernelKind::FromInternal:
    return buildDataMovement(desc, target);
  case KernelKind::ConvGradInput:
  case KernelKind::ConvGradWeight:
    return buildConvGrad(desc, target);
  case KernelKind::ChannelMean:
  case KernelKind::ChannelVar:
  case KernelKind::ChannelSum:
  case KernelKind::BatchNormGradSums:
  case KernelKind::BatchNormGradGamma:
  case KernelKind::BatchNormGrad:
  case KernelKind::BatchNormTrain:
  case KernelKind::Lerp:
  case KernelKind::Scale:
  case KernelKind::Sum:
  case KernelKind::ActivationGrad:
  case KernelKind::DenseGradInput:
  case KernelKind::DenseGradWeight:
  case KernelKind::MaxPoolGrad:
  case KernelKind::AvgPoolGrad:
  case KernelKind::GlobalAvgPoolGrad:
  case KernelKind::Reshape:
  case KernelKind::UpsampleGrad:
  case KernelKind::SliceChannels:
  case KernelKind::SoftmaxGrad:
  case KernelKind::ChannelMulGradGate:
  case KernelKind::LayerNormGrad:
  case KernelKind::LayerNormGradWeight:
  case KernelKind::ChannelScaleGradScale:
    return buildGrad(desc, target);
  }
  throw CompileError("unknown kernel kind");
  return {};
}

} // namespace codegen
} // namespace res
