// Max and average pooling over windows, and global average pooling,
// channels innermost.
//
//   acc(c, x, y, n)  = init                      (-inf for max, 0 for avg)
//   acc(c, x, y, n)  = fold(acc, in(c, x*s + kx - p, y*s + ky - p, n))
//   out(c, x, y, n)  = finish(acc)               (/ window area for avg)
//
// Padding is a constant_exterior boundary: -inf never wins a max, and 0 is
// what count_include_pad=True adds to an average. Each window reads one
// contiguous vector of channels per tap, so `acc` is computed per output
// pixel (compute_at(out, x)) and vectorised over channels; rows and the
// batch are fused into the parallel loop. Pooling is memory-bound and
// small next to the convs, so nothing is fused into it.
#include "compiler/codegen/Kernels.h"

#include <algorithm>
#include <limits>

using namespace Halide;

namespace res {
namespace codegen {

HalideKernel buildPool(const KernelDesc &desc, const Target &target) {
  HalideKernel k;
  k.inputs.push_back(makeInput(desc.operands[0], "in0"));
  ImageParam &input = k.inputs[0];
  const Dims &inDims = desc.operands[0].dims;
  const int C = int(inDims[0]), H = int(inDims[1]), W = int(inDims[2]);
  Var c("c"), x("x"), y("y"), n("n");
  Func out("out"), acc("acc");

  if (desc.kind == KernelKind::GlobalAvgPool) {
    //   acc(c, n) = sum over all pixels; out = acc / (H * W)
    RDom r(0, W, 0, H, "r");
    acc(c, n) = 0.0f;
    acc(c, n) += input(c, r.x, r.y, n);
    out(c, n) = acc(c, n) * (1.0f / float(H * W));
    pinOutput(out, desc.result);
    if (usesGpu(target)) {
      k.schedule = "global_avg_pool: " + scheduleGpuReduction(out, acc, {c, n});
      k.pipeline = Pipeline(out);
      return k;
    }
    int width = vectorizeInner(out, c, C, target);
    out.parallel(n);
    acc.compute_at(out, n);
    if (width > 1) {
      // Never round the channel loop up past the buffer: guard the tail.
      TailStrategy tail =
          C % width ? TailStrategy::GuardWithIf : TailStrategy::Auto;
      acc.vectorize(c, width, tail);
      acc.update().reorder(c, r.x, r.y).vectorize(c, width, tail);
    }
    k.schedule = "global_avg_pool: vector " + std::to_string(width);
    k.pipeline = Pipeline(out);
    return k;
  }

  const bool isMax = desc.kind == KernelKind::MaxPool;
  const int kh = int(desc.kernel[0]), kw = int(desc.kernel[1]);
  const int sy = int(desc.stride[0]), sx = int(desc.stride[1]);
  const int py = int(desc.padding[0]), px = int(desc.padding[1]);
  const float pad = isMax ? -std::numeric_limits<float>::infinity() : 0.0f;
  Func in = BoundaryConditions::constant_exterior(
      input, pad, {Range(), Range(0, W), Range(0, H)});

  RDom r(0, kw, 0, kh, "r");
  Expr v = in(c, x * sx + r.x - px, y * sy + r.y - py, n);
  acc(c, x, y, n) = pad;
  if (isMax)
    // NaN wins, as in PyTorch.
    acc(c, x, y, n) =
        select(is_nan(v) || v > acc(c, x, y, n), v, acc(c, x, y, n));
  else
    acc(c, x, y, n) += v;
  out(c, x, y, n) =
      isMax ? acc(c, x, y, n) : acc(c, x, y, n) * (1.0f / float(kh * kw));
  pinOutput(out, desc.result);
  if (usesGpu(target)) {
    k.schedule = std::string(isMax ? "max" : "avg") +
                 "_pool: " + scheduleGpuReduction(out, acc, {c, x, y, n});
    k.pipeline = Pipeline(out);
    return k;
  }

  int width = vectorizeInner(out, c, C, target);
  // Rows of about 128K window reads per task: a row of resnet50's max pool
  // (56 x 64 outputs, 9 taps) is about a microsecond of work, and with one
  // row per task the pool ran 0.079 ms on one thread and 0.134 on two;
  // with 4 rows 0.061 and 0.098 (why two threads still lose to one here is
  // not established).
  const int64_t rowReads = int64_t(desc.result[2]) * C * kh * kw;
  const int rows = int(std::max<int64_t>(1, (int64_t(128) << 10) / rowReads));
  out.fuse(y, n, y);
  parallelInTasks(out, y, rows);
  acc.compute_at(out, x);
  if (width > 1) {
    TailStrategy tail =
        C % width ? TailStrategy::GuardWithIf : TailStrategy::Auto;
    acc.vectorize(c, width, tail);
    acc.update().reorder(c, r.x, r.y).vectorize(c, width, tail);
  }
  k.schedule = std::string(isMax ? "max" : "avg") + "_pool: vector " +
               std::to_string(width) + ", " + std::to_string(rows) +
               " rows per task";
  k.pipeline = Pipeline(out);
  return k;
}

} // namespace codegen
} // namespace res
