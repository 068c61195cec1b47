// The two gradients of a 2-D convolution, channels innermost.
//
// conv2d_grad_input, a transposed convolution (Halide dims innermost first):
//   wT(c, o, kx, ky)  = w[o, c, ky, kx]         transposed in the kernel
//   acc(c, x, y, n)  += wT(c, o, kx, ky) * dy(o, (x + px - kx*dx) / sx, ...)
//                       over o of c's group and the taps for which
//                       x + px - kx*dx is a multiple of sx (and y likewise)
// With stride 1 every tap contributes and this is a convolution of dy with
// the flipped, transposed weight; with a stride the RDom's predicate keeps
// only the taps that land on an output (a quarter of them at stride 2), so
// no multiply-add is spent on the zeros of a dilated dy.
// The weight is a run-time tensor (it changes every training step), so it
// is transposed inside the kernel, not when parameters are bound: a pass
// over O*C*KH*KW floats, small next to the N*H*W-times larger reduction.
// After that the schedule is the forward conv's (ConvKernel.cpp): output
// channels in vectors, a register tile of channel vectors x pixels of a row
// chosen by the same cost model, the reduction over o innermost (contiguous
// transposed weights, one broadcast of dy per pixel), tiles of rows and
// channel blocks in parallel.
//
// conv2d_grad_weight, a correlation of x and dy reduced over batch and
// space:
//   acc(o, c, kx, ky, t) += dy(o, ox, oy, n) * x(c, ox*sx - px + kx*dx, ...)
//                           over the pixels of the samples of chunk t
//   dw[o, c, ky, kx]      = sum over t of acc(o, c, kx, ky, t)
// The output is small (a weight) and the reduction huge, so parallelism
// comes partly from splitting the reduction: the batch is cut into up to 16
// chunks (of at least 2048 output pixels each) whose partial sums are
// reduced at the end; those, the taps and the input-channel blocks are the
// parallel tasks. Each task runs register tiles of (output-channel
// vectors) x (input channels): per pixel one vector load of dy (output
// channels are contiguous) and one broadcast of x per input channel feed
// one FMA each, the outer product of the two channel vectors.
#include "compiler/codegen/Kernels.h"

#include <algorithm>

using namespace Halide;

namespace res {
namespace codegen {

namespace {

struct Window {
  int sx, sy, px, py, dx, dy, groups;
};

Window windowOf(const KernelDesc &desc) {
  return {int(desc.stride[1]),  int(desc.stride[0]),   int(desc.padding[1]),
          int(desc.padding[0]), int(desc.dilation[1]), int(desc.dilation[0]),
          int(desc.groups)};
}

/// Widest vector of at most the target's width that divides `channels`.
int dividingLanes(int channels, const Target &target) {
  int lanes = vectorWidth(target);
  while (lanes > 1 && channels % lanes != 0)
    lanes /= 2;
  return lanes;
}

HalideKernel buildGradInput(const KernelDesc &desc, const Target &target) {
  const Dims &dyDims = desc.operands[0].dims; // [O, OH, OW]
  const int O = int(dyDims[0]), OH = int(dyDims[1]), OW = int(dyDims[2]);
  const Dims &wDims = desc.operands[1].dims; // (kw, kh, cg, o)
  const int KW = int(wDims[0]), KH = int(wDims[1]), Cg = int(wDims[2]);
  const int C = int(desc.result[0]), W = int(desc.result[2]);
  const Window win = windowOf(desc);
  const int Og = O / win.groups;

  HalideKernel k;
  k.inputs = {makeInput(desc.operands[0], "in0"),
              makeInput(desc.operands[1], "in1")};
  ImageParam &dy = k.inputs[0], &w = k.inputs[1];

  Var c("c"), x("x"), y("y"), n("n");
  Var tc("tc"), to("to"), tkx("tkx"), tky("tky");
  Func weightT("weight_t");
  weightT(tc, to, tkx, tky) = w(tkx, tky, tc, to);
  Func dyPad = BoundaryConditions::constant_exterior(
      dy, 0.0f, {Range(), Range(0, OW), Range(0, OH)});

  RDom r(0, Og, 0, KW, 0, KH, "r");
  Expr tx = x + win.px - r.y * win.dx, ty = y + win.py - r.z * win.dy;
  if (win.sx > 1 || win.sy > 1)
    r.where(tx % win.sx == 0 && ty % win.sy == 0);
  Expr ox = win.sx > 1 ? tx / win.sx : tx, oy = win.sy > 1 ? ty / win.sy : ty;
  // The group of input channel c and its channel within the group; plain
  // indices for a dense conv so that the weight load is a vector.
  Expr cl = c, o = r.x;
  if (win.groups > 1) {
    cl = c % Cg; // bounded in [0, Cg) where c - g * Cg is not
    o = (c / Cg) * Og + r.x;
  }
  Func acc("acc"), out("out");
  acc(c, x, y, n) = 0.0f;
  acc(c, x, y, n) += weightT(cl, o, r.y, r.z) * dyPad(o, ox, oy, n);
  out(c, x, y, n) = acc(c, x, y, n);
  pinOutput(out, desc.result);

  if (usesGpu(target)) {
    weightT.compute_root();
    scheduleGpuPointwise(weightT, {tc, to, tkx, tky});
    k.schedule =
        "conv2d_grad_input: " + scheduleGpuReduction(out, acc, {c, x, y, n});
    k.pipeline = Pipeline(out);
    return k;
  }
  // The transposition: parallel over output channels, each a strided read
  // of KW*KH*Cg floats.
  weightT.compute_root().reorder(tc, tkx, tky, to).parallel(to);

  const int lanes = win.groups == 1 ? dividingLanes(C, target) : 1;
  if (lanes >= 4) {
    // At stride 1 this is a plain convolution, whose window columns can run
    // innermost as in the forward one; with a stride the taps of
    // neighbouring pixels share no dy element.
    const bool columnsInner = windowColumnsInner(C / lanes, win.sx, KW);
    const Tile tile = chooseTile(C / lanes, W, vectorRegisters(target),
                                 columnsInner ? KW : 1);
    const int tcw = tile.vectors * lanes, txw = tile.pixels;
    Var co("co"), cv("cv"), xo("xo"), xv("xv"), t("t");
    out.split(c, co, cv, tcw, TailStrategy::ShiftInwards)
        .split(x, xo, xv, txw, TailStrategy::ShiftInwards)
        .reorder(cv, xv, xo, y, co, n)
        .vectorize(cv, lanes)
        .unroll(cv)
        .unroll(xv)
        .fuse(y, co, t)
        .fuse(t, n, t);
    // Taps per output pixel: all at stride 1, about 1/(sx*sy) otherwise.
    const std::string tasks = parallelRows(
        out, t, int64_t(tcw) * W * Og * KW * KH / std::max(1, win.sx * win.sy),
        int64_t(desc.result[1]) * ((C + tcw - 1) / tcw));
    acc.compute_at(out, xo)
        .vectorize(c, lanes)
        .unroll(c)
        .unroll(x)
        .unroll(y)
        .unroll(n);
    if (columnsInner)
      acc.update().reorder(c, x, y, n, r.y, r.x, r.z).unroll(r.y);
    else
      acc.update().reorder(c, x, y, n, r.x, r.y, r.z);
    acc.update().vectorize(c, lanes).unroll(c).unroll(x).unroll(y).unroll(n);
    if (Og % 2 == 0 && Og > 2)
      acc.update().unroll(r.x, 2);
    k.schedule = "conv2d_grad_input: tile " + std::to_string(tcw) +
                 " channels x " + std::to_string(txw) + " pixels, vector " +
                 std::to_string(lanes) + ", " + tasks +
                 (win.sx > 1 || win.sy > 1 ? ", contributing taps only" : "") +
                 (columnsInner ? ", window columns innermost" : "");
  } else {
    // Grouped or few channels: one pixel's channels at a time, rows in
    // parallel, vectorised over the channels that are there.
    int width = std::max(1, std::min(vectorWidth(target), C));
    while (width > 1 && C % width)
      width /= 2;
    out.fuse(y, n, y).parallel(y);
    acc.compute_at(out, x);
    if (width >= 4) {
      out.vectorize(c, width);
      acc.vectorize(c, width);
      acc.update().reorder(c, r.x, r.y, r.z).vectorize(c, width);
    }
    k.schedule = "conv2d_grad_input: per pixel, vector " +
                 std::to_string(width >= 4 ? width : 1);
  }
  k.pipeline = Pipeline(out);
  return k;
}

HalideKernel buildGradWeight(const KernelDesc &desc, const Target &target) {
  const Dims &xDims = desc.operands[0].dims;  // [C, H, W]
  const Dims &dyDims = desc.operands[1].dims; // [O, OH, OW]
  const int H = int(xDims[1]), W = int(xDims[2]);
  const int O = int(dyDims[0]), OH = int(dyDims[1]), OW = int(dyDims[2]);
  const int Cg = int(desc.result[1]), KH = int(desc.result[2]),
            KW = int(desc.result[3]);
  const Window win = windowOf(desc);
  const int Og = O / win.groups;

  HalideKernel k;
  k.inputs = {makeInput(desc.operands[0], "in0"),
              makeInput(desc.operands[1], "in1")};
  ImageParam &x = k.inputs[0], &dy = k.inputs[1];
  Expr N = dy.dim(3).extent();
  // Up to 16 chunks of the batch, each of at least kChunkPixels output
  // pixels: a register tile's reduction must be long, or the tile's set-up
  // and store dominate (a 7x7 layer at batch 8 with one sample per chunk
  // ran at 4 GFLOP/s). The tasks come from the input-channel blocks and
  // taps as well, so few chunks still give the cores enough of them.
  constexpr int kChunkPixels = 2048;
  Expr chunks = clamp(N * (OH * OW) / kChunkPixels, 1, min(N, 16));
  Expr chunk = (N + chunks - 1) / chunks;

  Var o("o"), c("c"), kx("kx"), ky("ky"), t("t");
  Func xPad = BoundaryConditions::constant_exterior(
      x, 0.0f, {Range(), Range(0, W), Range(0, H)});
  RDom r(0, OW, 0, OH, 0, chunk, "r");
  // The last chunk may be short: the predicate skips its missing samples
  // (Halide tightens the loop to it), and the clamp keeps the bounds that
  // Halide infers for the buffers within the batch.
  r.where(t * chunk + r.z < N);
  Expr sample = min(t * chunk + r.z, N - 1);
  Expr ci = win.groups > 1 ? (o / Og) * Cg + c : Expr(c);
  Func acc("acc"), partial("partial"), total("total"), out("out");
  acc(o, c, kx, ky, t) = 0.0f;
  acc(o, c, kx, ky, t) += dy(o, r.x, r.y, sample) *
                          xPad(ci, r.x * win.sx - win.px + kx * win.dx,
                               r.y * win.sy - win.py + ky * win.dy, sample);
  partial(o, c, kx, ky, t) = acc(o, c, kx, ky, t);
  RDom rt(0, chunks, "rt");
  total(kx, ky, c, o) = 0.0f;
  total(kx, ky, c, o) += partial(o, c, kx, ky, rt);
  out(kx, ky, c, o) = total(kx, ky, c, o);
  // The result is an unbatched [O, Cg, KH, KW] in C order.
  const int extents[4] = {KW, KH, Cg, O};
  for (int i = 0, stride = 1; i < 4; stride *= extents[i], ++i)
    out.output_buffer().dim(i).set_bounds(0, extents[i]).set_stride(stride);

  partial.compute_root();
  if (usesGpu(target)) {
    scheduleGpuReduction(partial, acc, {o, c, kx, ky, t});
    k.schedule = "conv2d_grad_weight: " +
                 scheduleGpuReduction(out, total, {kx, ky, c, o}) +
                 ", batch in up to 16 partial sums";
    k.pipeline = Pipeline(out);
    return k;
  }

  // The register tile: `vecs` vectors of output channels x `cs` input
  // channels, at most 24 accumulators (of 32 zmm registers, leaving the dy
  // vectors and a broadcast).
  const int lanes = win.groups == 1 || Og % vectorWidth(target) == 0
                        ? dividingLanes(O, target)
                        : 1;
  Var oo("oo"), ov("ov"), co("co"), cv("cv"), task("task");
  std::string tileText;
  if (lanes >= 4) {
    const int budget = vectorRegisters(target) * 3 / 4;
    const int vecs = std::min({O / lanes, 2, budget});
    const int cs = std::max(1, std::min(Cg, budget / vecs));
    partial.split(o, oo, ov, vecs * lanes, TailStrategy::ShiftInwards)
        .split(c, co, cv, cs, TailStrategy::ShiftInwards)
        .reorder(ov, cv, oo, co, kx, ky, t)
        .vectorize(ov, lanes)
        .unroll(ov)
        .unroll(cv)
        .fuse(co, kx, task)
        .fuse(task, ky, task)
        .fuse(task, t, task)
        .parallel(task);
    acc.compute_at(partial, oo).vectorize(o, lanes).unroll(o).unroll(c);
    acc.update()
        .reorder(o, c, kx, ky, t, r.x, r.y, r.z)
        .vectorize(o, lanes)
        .unroll(o)
        .unroll(c)
        .unroll(kx)
        .unroll(ky)
        .unroll(t);
    tileText = "tile " + std::to_string(vecs * lanes) + " output x " +
               std::to_string(cs) + " input channels, vector " +
               std::to_string(lanes);
  } else {
    partial.fuse(kx, ky, task).fuse(task, t, task).parallel(task);
    acc.compute_at(partial, task);
    tileText = "scalar";
  }
  // The final sum over the chunks: small (the weight times the chunks).
  total.compute_at(out, o);
  out.parallel(o);
  k.schedule =
      "conv2d_grad_weight: " + tileText +
      ", batch in up to 16 partial sums; channel blocks, taps and chunks "
      "in parallel";
  k.pipeline = Pipeline(out);
  return k;
}

} // namespace

HalideKernel buildConvGrad(const KernelDesc &desc, const Target &target) {
  if (desc.kind == KernelKind::ConvGradInput)
    return buildGradInput(desc, target);
  return buildGradWeight(desc, target);
}

} // namespace codegen
} // namespace res
