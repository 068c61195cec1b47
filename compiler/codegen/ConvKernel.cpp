// 2-D convolution with its fused epilogue, channels innermost.
//
// Algorithm (Halide dims innermost first):
//   conv(c, x, y, n)  = bias(c)                      (BN folded in, see
//                                                      WeightPacking.cpp)
//   conv(c, x, y, n) += w(c, r.ci, r.kx, r.ky) * in(ci, x*s + kx*d - p, ...)
//   out(c, x, y, n)   = epilogue(conv(c, x, y, n))   (activation, residual
//                                                      sum, after-activation)
// The weights are packed with output channels innermost, so a vector of 16
// output channels is one aligned load, and the input is read one scalar at a
// time and broadcast: the pattern of Halide's apps/conv_layer, which reaches
// 85-95% of FMA peak on this machine (halide-schedules.md).
//
// Producer/consumer choices:
//  * `out` is tiled into (tc output channels) x (tx pixels of a row); the
//    tile is the register block: tc/16 vectors x tx pixels accumulators
//    (20-24 of the 32 zmm registers), so each broadcast feeds tc/16 FMAs
//    and each weight vector is reused tx times.
//  * `conv` is computed at the tile (compute_at(out, xo)) with the whole
//    tile unrolled, so its accumulators live in registers for the entire
//    reduction; the reduction runs ci innermost (contiguous weights), then
//    kx, ky.
//  * The epilogue is the pure definition of `out` and reads `conv` where it
//    is computed, so bias, activation, the residual sum and the after-
//    activation cost one pass over registers, never a trip through memory.
//  * Padding is a constant_exterior boundary on x and y only; Halide splits
//    the row and tile loops into a branch-free interior and the borders.
//  * Parallelism: output-channel blocks and rows are fused, then fused with
//    the batch, into one parallel loop; channel blocks are outer so that a
//    block's weights stay in L2 while the rows stream through.
// Where blocked layouts (c/16 outer, 16 inner) or pre-padded activation
// buffers would go: the input staging of `in` below; both would remove the
// border branches and let small-channel layers vectorise the input side.
#include "compiler/codegen/Kernels.h"

#include <cmath>
#include <limits>

using namespace Halide;

namespace res {
namespace codegen {

namespace {

/// Pixels per register tile: the x extent of the tile. Each tile costs its
/// pixels plus a fixed overhead (weight loads, loop control), so prefer the
/// tile size that wastes least when the row is not a multiple of it.
int chooseTileX(int width, int maxTile) {
  int best = 1;
  double bestCost = std::numeric_limits<double>::max();
  for (int t = 1; t <= std::min(width, maxTile); ++t) {
    int tiles = (width + t - 1) / t;
    double cost = tiles * (t + 1.5);
    if (cost <= bestCost) {
      bestCost = cost;
      best = t;
    }
  }
  return best;
}

} // namespace

HalideKernel buildConv(const KernelDesc &desc, const Target &target) {
  const Dims &inDims = desc.operands[0].dims; // [CI, H, W]
  const int CI = int(inDims[0]), H = int(inDims[1]), W = int(inDims[2]);
  const int CO = int(desc.result[0]), OH = int(desc.result[1]),
            OW = int(desc.result[2]);
  const Dims &wDims = desc.operands[1].dims; // (co, ci/g, kx, ky)
  const int CIg = int(wDims[1]), KW = int(wDims[2]), KH = int(wDims[3]);
  const int groups = int(desc.groups), COg = CO / groups;
  const int sx = int(desc.stride[1]), sy = int(desc.stride[0]);
  const int px = int(desc.padding[1]), py = int(desc.padding[0]);
  const int dx = int(desc.dilation[1]), dy = int(desc.dilation[0]);

  HalideKernel k;
  for (size_t i = 0; i < desc.operands.size(); ++i)
    k.inputs.push_back(makeInput(desc.operands[i], "in" + std::to_string(i)));
  ImageParam &input = k.inputs[0], &weight = k.inputs[1], &bias = k.inputs[2];

  Var c("c"), x("x"), y("y"), n("n");
  Func in("in_padded");
  if (px || py)
    in = BoundaryConditions::constant_exterior(
        input, 0.0f, {Range(), Range(0, W), Range(0, H)});
  else
    in(c, x, y, n) = input(c, x, y, n);

  RDom r(0, CIg, 0, KW, 0, KH, "r");
  // The input channel of output channel c: depthwise and dense convs get a
  // plain index (a vector load or a broadcast); other groupings gather.
  Expr ci;
  if (groups == 1)
    ci = r.x;
  else if (CIg == 1 && COg == 1)
    ci = c;
  else
    ci = (c / COg) * CIg + r.x;

  Func conv("conv");
  conv(c, x, y, n) = bias(c);
  conv(c, x, y, n) += weight(c, r.x, r.y, r.z) *
                      in(ci, x * sx + r.y * dx - px, y * sy + r.z * dy - py, n);

  Func out("out");
  out(c, x, y, n) = applyEpilogue(conv(c, x, y, n), desc, k.inputs,
                                  {c, x, y, n}, desc.result);
  pinOutput(out, desc.result);

  const int vec = vectorWidth(target);
  int lanes = vec;
  while (lanes > 1 && CO % lanes != 0)
    lanes /= 2;

  if (lanes >= 4) {
    // Register-tiled schedule.
    int vectors = CO / lanes;
    int cvecs = 1;
    for (int cand : {4, 3, 2})
      if (vectors % cand == 0) {
        cvecs = cand;
        break;
      }
    const int tc = cvecs * lanes;
    // Accumulators plus one register per weight vector and a broadcast.
    const int maxTile = std::max(
        1, std::min(16, (vectorRegisters(target) - cvecs - 2) / cvecs));
    const int tx = chooseTileX(OW, maxTile);

    Var co("co"), cv("cv"), xo("xo"), xv("xv"), t("t");
    out.split(c, co, cv, tc)
        .split(x, xo, xv, tx, TailStrategy::ShiftInwards)
        .reorder(cv, xv, xo, y, co, n)
        .vectorize(cv, lanes)
        .unroll(cv)
        .unroll(xv)
        .fuse(y, co, t)
        .fuse(t, n, t)
        .parallel(t);
    conv.compute_at(out, xo)
        .vectorize(c, lanes)
        .unroll(c)
        .unroll(x)
        .unroll(y)
        .unroll(n);
    conv.update()
        .reorder(c, x, y, n, r.x, r.y, r.z)
        .vectorize(c, lanes)
        .unroll(c)
        .unroll(x)
        .unroll(y)
        .unroll(n);
    // Two input channels per iteration let the FMAs of one overlap the
    // loads of the next.
    if (CIg % 2 == 0 && CIg > 2)
      conv.update().unroll(r.x, 2);
    k.schedule = "conv: tile " + std::to_string(tc) + " channels x " +
                 std::to_string(tx) + " pixels, vector " +
                 std::to_string(lanes);
  } else {
    // Few output channels (a 1-channel head): vectorise along the row
    // instead, accumulating one row of all output channels in a scratch
    // buffer; such layers are a negligible share of the work.
    Var xo("xo"), xv("xv");
    int width = vec;
    while (width > OW && width > 4)
      width /= 2;
    out.reorder(c, x, y, n).fuse(y, n, y).parallel(y);
    conv.compute_at(out, y).reorder(x, c, y, n);
    conv.update().reorder(x, c, r.x, r.y, r.z, y, n);
    if (OW >= width) {
      TailStrategy tail =
          OW % width ? TailStrategy::GuardWithIf : TailStrategy::Auto;
      conv.vectorize(x, width, tail);
      conv.update().vectorize(x, width, tail);
    }
    k.schedule = "conv: row-vectorised, " + std::to_string(CO) + " channels";
  }
  k.pipeline = Pipeline(out);
  return k;
}

} // namespace codegen
} // namespace res
