// 3x3 stride-1 convolution by Winograd's minimal filtering, F(2x2, 3x3)
// (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks"):
// each 2x2 block of output pixels ("tile") comes from a 4x4 patch of input,
//   Y = A^T [ U (.) V ] A,   U = G g G^T (packed, WeightPacking.cpp),
//                            V = B^T d B  (the patch d, per input channel),
// where (.) multiplies elementwise over the 16 transformed positions and sums
// over the input channels. That sum is 16 independent matrix products
// (tiles x input channels) x (input channels x output channels), 16 x 4 = 64
// multiply-adds per tile and channel pair where the direct convolution
// spends 4 x 9 = 144: 2.25 times fewer. The transforms only add and
// subtract (G's halves are applied when packing), so the result stays within
// a few ulps of the direct sum.
//
// Algorithm (Halide dims innermost first; t = (tx, ty) a tile):
//   V(ci, i, j, tx, ty, n)  = B^T d B       (d read through the padding)
//   M(co, i, j, tx, ty, n)  = sum_ci U(co, ci, i, j) * V(ci, i, j, tx, ty, n)
//   out(co, x, y, n)        = epilogue(bias(co) + (A^T M A)(x % 2, y % 2))
//
// Schedule (CPU), two variants:
//  * Up to 128 input channels: one parallel task per row of tiles and
//    image. The task transforms its 4 x (W + 2) input strip once, for every
//    input channel (V, L2-resident: 16 / 4 times the strip), then walks
//    blocks of output channels and groups of tiles; for each it runs the 16
//    products as register tiles exactly like a 1x1 convolution (output
//    channels in vectors, tiles broadcast, input channels innermost),
//    stores the 16 results to a small L1 buffer and applies the output
//    transform and the epilogue from there, so M never makes a round trip
//    through memory. The packed U of a block of 64 output channels
//    (16 x 64 x CI floats, 512 KB at 128) comes from L2 for every group of
//    tiles.
//  * More input channels (14x14x256 and 7x7x512 in ResNets): that U would
//    come from L3, so the task is one image and block of output channels
//    instead, V is computed once per call, and the products run one (i, j)
//    at a time over all tiles of the image, each slice of U (64 x CI
//    floats) reused from L2 by every tile. One core at batch 8: 14x14x256
//    330 -> 416 effective GFLOP/s, 7x7x512 140 -> 200 against the first.
// Odd rows and columns get a last tile that stores only its first pixel;
// its patch reads one column or row of zeros past the input.
#include "compiler/codegen/Kernels.h"

using namespace Halide;

namespace res {
namespace codegen {

bool useWinograd(const KernelDesc &conv, const Dims &input,
                 const Dims &result) {
  const int64_t CI = input[0], CO = result[0], OH = result[1], OW = result[2];
  // Fewer than 4 vectors of output channels leave the products load-bound
  // (a broadcast feeds one or two FMAs), and below 32 input channels the
  // reduction is too short to pay for the transforms; more than 512 is
  // untried (U slices of over 128 KB per block). Images under 4x4 are
  // mostly padding tiles.
  return conv.kernel == Pair{3, 3} && conv.stride == Pair{1, 1} &&
         conv.dilation == Pair{1, 1} && conv.groups == 1 && CO % 64 == 0 &&
         CI >= 32 && CI <= 512 && OH >= 4 && OW >= 4;
}

namespace {

/// Row r of B^T applied to the four values d (along one axis of the patch).
Expr inputTransform(int r, const std::array<Expr, 4> &d) {
  switch (r) {
  case 0:
    return d[0] - d[2];
  case 1:
    return d[1] + d[2];
  case 2:
    return d[2] - d[1];
  default:
    return d[1] - d[3];
  }
}

/// Row r of A^T applied to the four values m.
Expr outputTransform(int r, const std::array<Expr, 4> &m) {
  return r == 0 ? m[0] + m[1] + m[2] : m[1] - m[2] - m[3];
}

} // namespace

HalideKernel buildWinogradConv(const KernelDesc &desc, const Target &target) {
  const Dims &inDims = desc.operands[0].dims; // [CI, H, W]
  const int CI = int(inDims[0]), H = int(inDims[1]), W = int(inDims[2]);
  const int CO = int(desc.result[0]), OH = int(desc.result[1]),
            OW = int(desc.result[2]);
  const int px = int(desc.padding[1]), py = int(desc.padding[0]);

  HalideKernel k;
  k.inputs = makeInputs(desc);
  ImageParam &input = k.inputs[0], &weight = k.inputs[1], &bias = k.inputs[2];

  Var c("c"), x("x"), y("y"), n("n"), i("i"), j("j"), tx("tx"), ty("ty");
  Func in("in_padded");
  // An odd output's last tile reads a row or column past the input.
  if (px || py || OH % 2 || OW % 2)
    in = BoundaryConditions::constant_exterior(
        input, 0.0f, {Range(), Range(0, W), Range(0, H)});
  else
    in(c, x, y, n) = input(c, x, y, n);

  // V = B^T d B, rows of the patch first. i and j are unrolled by the
  // schedule, so each select picks one constant case.
  Func rows("winograd_rows");
  {
    std::array<Expr, 4> d;
    for (int a = 0; a < 4; ++a)
      d[a] = in(c, 2 * tx + a - px, 2 * ty + j - py, n);
    rows(c, i, j, tx, ty, n) =
        mux(i, {inputTransform(0, d), inputTransform(1, d),
                inputTransform(2, d), inputTransform(3, d)});
  }
  Func v("winograd_input");
  {
    std::array<Expr, 4> d;
    for (int b = 0; b < 4; ++b)
      d[b] = rows(c, i, b, tx, ty, n);
    v(c, i, j, tx, ty, n) =
        mux(j, {inputTransform(0, d), inputTransform(1, d),
                inputTransform(2, d), inputTransform(3, d)});
  }

  // The 16 products; `acc` holds one (i, j) of a register tile, `m` keeps
  // all 16 for the output transform.
  RDom r(0, CI, "r");
  Func acc("winograd_acc"), m("winograd_products");
  acc(c, i, j, tx, ty, n) = 0.0f;
  acc(c, i, j, tx, ty, n) +=
      packedWeight(weight, c, r, i, j) * v(r, i, j, tx, ty, n);
  m(c, i, j, tx, ty, n) = acc(c, i, j, tx, ty, n);

  // Y = A^T M A, then bias and the epilogue.
  Expr xi = x % 2, yi = y % 2, xt = x / 2, yt = y / 2;
  Func cols("winograd_cols");
  {
    std::array<Expr, 4> mi;
    for (int a = 0; a < 4; ++a)
      mi[a] = m(c, a, j, tx, ty, n);
    cols(c, i, j, tx, ty, n) =
        select(i == 0, outputTransform(0, mi), outputTransform(1, mi));
  }
  std::array<Expr, 4> mj;
  for (int b = 0; b < 4; ++b)
    mj[b] = cols(c, xi, b, xt, yt, n);
  Expr y0 = select(yi == 0, outputTransform(0, mj), outputTransform(1, mj));
  Func out("out");
  out(c, x, y, n) =
      applyEpilogue(bias(c) + y0, desc, k.inputs, {c, x, y, n}, desc.result);
  pinOutput(out, desc.result);

  if (usesGpu(target))
    throw CompileError("the Winograd convolution has no GPU schedule; the "
                       "lowering keeps it to CPU targets");
  const int lanes = vectorWidth(target);
  const bool imageTasks = CI > 128;
  // Per image, the channel blocks divide the channels: with the block
  // loop fused into the parallel one, a shifted-inwards block made
  // Halide's bounds of the products non-constant (reads past the weights).
  const Tile tile = chooseTile(CO / lanes, (OW + 1) / 2,
                               vectorRegisters(target), 1, imageTasks);
  const int tc = tile.vectors * lanes, tiles = tile.pixels;

  Var co("co"), cv("cv"), xo("xo"), xv("xv"), yo("yo"), yv("yv"), txo("txo"),
      txv("txv"), t("t");
  // Tiles that do not divide the row are shifted inwards: they recompute
  // whole tiles, which is harmless as the output is pure. The last tile of
  // an odd row or column stores only its first pixel.
  out.split(y, yo, yv, 2,
            OH % 2 ? TailStrategy::GuardWithIf : TailStrategy::Auto)
      .split(x, xo, xv, 2,
             OW % 2 ? TailStrategy::GuardWithIf : TailStrategy::Auto)
      .split(xo, txo, txv, tiles, TailStrategy::ShiftInwards)
      .split(c, co, cv, tc)
      .vectorize(cv, lanes)
      .unroll(cv)
      .unroll(xv)
      .unroll(yv)
      .unroll(txv);
  acc.vectorize(c, lanes).unroll(c).unroll(tx);
  acc.update()
      .reorder(c, tx, r, i, j, ty, n)
      .vectorize(c, lanes)
      .unroll(c)
      .unroll(tx);
  if (CI % 2 == 0)
    acc.update().unroll(r, 2);
  m.vectorize(c, lanes).unroll(c);
  if (!imageTasks) {
    out.reorder(cv, xv, yv, txv, txo, co, yo, n).fuse(yo, n, t).parallel(t);
    v.compute_at(out, t)
        .reorder(c, i, j, tx, ty, n)
        .vectorize(c, lanes)
        .unroll(i)
        .unroll(j);
    m.compute_at(out, txo).reorder(c, tx, i, j, ty, n).unroll(tx);
    acc.compute_at(m, i);
  } else {
    Var mto("mto"), mti("mti"), vt("vt");
    out.reorder(cv, xv, yv, txv, txo, yo, co, n).fuse(co, n, t).parallel(t);
    v.compute_root()
        .reorder(c, i, j, tx, ty, n)
        .vectorize(c, lanes)
        .unroll(i)
        .unroll(j)
        .fuse(ty, n, vt)
        .parallel(vt);
    m.compute_at(out, t)
        .split(tx, mto, mti, tiles, TailStrategy::ShiftInwards)
        .reorder(c, mti, mto, ty, i, j, n)
        .unroll(mti);
    acc.compute_at(m, mto);
  }
  k.schedule = "conv: winograd F(2x2, 3x3), tile " + std::to_string(tc) +
               " channels x " + std::to_string(tiles) + " tiles, vector " +
               std::to_string(lanes) +
               (imageTasks ? ", one image and channel block per task"
                           : ", one row of tiles per task");
  k.pipeline = Pipeline(out);
  return k;
}

} // namespace codegen
} // namespace res
