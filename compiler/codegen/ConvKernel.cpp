// 2-D convolution with its fused epilogue, channels innermost.
//
// Algorithm (Halide dims innermost first):
//   conv(c, x, y, n)  = bias(c)                      (BN folded in, see
//                                                      WeightPacking.cpp)
//   conv(c, x, y, n) += w(c, r.ci, r.kx, r.ky) * in(ci, x*s + kx*d - p, ...)
//   out(c, x, y, n)   = epilogue(conv(c, x, y, n))   (activation, residual
//                                                      sum, after-activation)
// The weights are packed with output channels innermost, in blocks of 16
// (WeightPacking.h), so a vector of 16 output channels is one aligned load, and
// the input is read one scalar at a time and broadcast: the pattern of Halide's
// apps/conv_layer, which reached 83-98% of one core's FMA peak on the build
// machine (docs/performance.md, "How the kernels are scheduled").
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
//    the batch, into one parallel loop, split into tasks of several rows
//    where a row is little work (rowsPerTask); channel blocks are outer so
//    that a block's weights stay in L2 while the rows stream through.
// Small images (14x14 and below) with many channels take a second schedule,
// the chunked one (scheduleChunked): there a row has only one or two tiles,
// so the weights of a channel block (up to 900 KB) were streamed from L2 or
// L3 for every tile; the chunked schedule keeps the accumulators of a whole
// image in a buffer and runs the reduction in chunks of input channels whose
// weights stay in L1 while every tile of the image uses them, and it reads
// a zero-padded copy of the input, since at these sizes every tile touches
// a border and the boundary condition would sit in the inner loop.
#include "compiler/codegen/Kernels.h"

#include <cmath>
#include <limits>

using namespace Halide;

namespace res {
namespace codegen {

/// The largest register tile, as measured rather than derived: up to 3/4 of
/// the vector registers as accumulators (LLVM spills fuller tiles), at most
/// registers / 4 channel vectors and registers / 3 pixels. The last two
/// leave AVX-512's 32 registers at the 6 x 8 tuned on Zen 5 and limit
/// AVX2's 16 to 4 x 5: on a Zen 3 core (one thread; FMA peak 102 GFLOP/s)
/// 1x1 256->1024 at 14x14 ran at 57-60 GFLOP/s with 5 x 2 and 75-84 with
/// 4 x 2, 3x3 16->16 at 32x32 at 46-49 with 2 x 6 and 63-75 with 2 x 4;
/// 3 x 4 stays the best tile of the 1x1 layers at 7x7 (73-85 against 66-71
/// for 4 x 2). docs/performance.md has the whole comparison.
struct TileLimits {
  int accumulators, vectors, pixels;
};
static TileLimits tileLimits(int registers) {
  return {registers * 3 / 4, std::min(6, registers / 4),
          std::min(8, registers / 3)};
}

/// The register tile: `vectors` x `pixels` accumulators. Each step of the
/// reduction loads `vectors` weight vectors and broadcasts `pixels` inputs,
/// then issues vectors * pixels FMAs; a step costs about the larger of the
/// FMA issue time (2 per cycle), the load time (2 per cycle, a broadcast
/// counting double: tiles that reuse a weight vector over many pixels
/// measure slower than square ones) and the FMA
/// latency (4 cycles: fewer than 8 accumulators stall), plus a cycle of
/// loop overhead. Tiles that do not divide the channels or the row are
/// shifted inwards and recompute the overlap, which the count of tiles
/// charges for. Measured on this machine's Zen 5 at 7x7, 14x14 and 56x56
/// this ranks the candidates about as their GFLOP/s do (7x7x512: 3
/// vectors x 7 pixels at 190 GFLOP/s per core against 147 for 4 x 4;
/// 56x56x64: 4 x 4 at 205 against 140 for 2 x 8).
/// With `taps` > 1 the step covers that many window columns (see
/// windowColumnsInner): taps * vectors weight loads and pixels + taps - 1
/// broadcasts feed taps * vectors * pixels FMAs. `wholeBlocks`: only tiles
/// whose vectors divide the channels (no block shifted inwards);
/// `wholeRows`: only tiles whose pixels divide the row.
Tile chooseTile(int channelVectors, int width, int registers, int taps,
                bool wholeBlocks, bool wholeRows) {
  Tile best;
  double bestCost = std::numeric_limits<double>::max(), bestLoads = 0;
  const TileLimits limits = tileLimits(registers);
  for (int v = 1; v <= std::min(channelVectors, limits.vectors); ++v)
    for (int p = 1; p <= std::min(width, limits.pixels); ++p) {
      if ((wholeBlocks && channelVectors % v != 0) ||
          (wholeRows && width % p != 0))
        continue;
      // Accumulators, the weight vectors and one broadcast must fit, with
      // room to spare: LLVM spills tiles that fill the register file.
      if (v * p > limits.accumulators || v * p + v + 1 > registers)
        continue;
      const double loads = (taps * v + 2.0 * (p + taps - 1)) / 2.0;
      double step = (std::max({taps * v * p / 2.0, loads, 4.0}) + 1.0) / taps;
      double tiles =
          double((channelVectors + v - 1) / v) * double((width + p - 1) / p);
      double cost = tiles * step;
      // Between tiles the model ranks equal, the one with fewer loads: with 16
      // channels at 32x32 on AVX2 (window columns innermost) 1 vector x 8
      // pixels and 2 x 4 tie, and 2 x 4 ran at 63-75 GFLOP/s against 52-55 on a
      // Zen 3 core. Only with window columns innermost, where it was
      // measured: ties of the other tiles keep the first candidate, the
      // choice their AVX-512 timings were taken with.
      const double rowLoads = tiles * loads;
      if (cost < bestCost - 1e-9 ||
          (taps > 1 && cost < bestCost + 1e-9 && rowLoads < bestLoads - 1e-9)) {
        bestCost = cost;
        bestLoads = rowLoads;
        best = {v, p};
      }
    }
  return best;
}

bool rowSplitsIntoTiles(int width) {
  for (int p = 3; p <= 8; ++p)
    if (width % p == 0)
      return true;
  return false;
}

/// Whether the window's columns run innermost in the tiled schedule, inside
/// the input channels: for one or two channel vectors a broadcast input
/// feeds only one or two FMAs with input channels innermost, so the loads
/// bound the tile (resnet20's 16-channel layers at about 90 GFLOP/s per
/// core); with the columns innermost, at stride 1, the input pixel that
/// column kx of tile pixel x reads is the one column kx + 1 of pixel x - 1
/// reads, so one broadcast serves up to KW taps.
bool windowColumnsInner(int channelVectors, int sx, int KW) {
  return channelVectors <= 2 && sx == 1 && KW > 1;
}

/// Tile rows (one row of one channel block, `macsPerRow` multiply-adds)
/// per parallel task. Halide's thread pool hands out one iteration at a time
/// under a lock, and a row of a small layer is far too little work for that
/// (resnet20's 16-channel 32x32 rows: 74K multiply-adds, half a
/// microsecond): with one row per task, two threads ran resnet20 at batch
/// 64 only 1.2x faster than one (1.45x with these tasks). Tasks of about
/// 2M multiply-adds (about 15 us here), which may span images; at batch 1
/// (`singleImage`) at least 4 per image so that both cores get work. The
/// batch is only known at run time, so the kernel has both, specialised on
/// it (a factor computed from the run-time batch instead made every conv
/// 1.3-2x slower on one thread).
static int rowsPerTask(int64_t macsPerRow, int64_t rowsPerImage,
                       bool singleImage) {
  const int64_t taskMacs = int64_t(2) << 20;
  int64_t rows =
      std::max<int64_t>(1, taskMacs / std::max<int64_t>(macsPerRow, 1));
  if (singleImage)
    rows = std::min(rows, std::max<int64_t>(1, rowsPerImage / 4));
  return int(std::min<int64_t>(rows, std::numeric_limits<int>::max()));
}

std::string parallelRows(Func out, const Var &t, int64_t macsPerRow,
                         int64_t rowsPerImage) {
  const int rows = rowsPerTask(macsPerRow, rowsPerImage, true),
            batchRows = rowsPerTask(macsPerRow, rowsPerImage, false);
  if (batchRows == rows) {
    parallelInTasks(out, t, rows);
    return std::to_string(rows) + " rows per task";
  }
  Stage single = out.specialize(out.output_buffer().dim(3).extent() == 1);
  parallelInTasks(single, t, rows);
  parallelInTasks(out, t, batchRows);
  return std::to_string(rows) + " rows per task (" + std::to_string(batchRows) +
         " when batched)";
}

namespace {

/// The chunked schedule's tile width: the widest divisor of the row up to 8
/// (an update cannot shift tiles inwards: the overlap would be summed
/// twice).
int chunkedRowTile(int OW) {
  int tx = 1;
  for (int p = 1; p <= std::min(OW, 8); ++p)
    if (OW % p == 0)
      tx = p;
  return tx;
}

/// Input channels per reduction chunk of the chunked schedule (CPU only), or
/// 0 where the tiled schedule is used. Measured on one Zen 5 core (GFLOP/s,
/// tiled -> chunked): 3x3 256->256 at 14x14 128 -> 195 (batch 1) and 139 -> 198
/// (batch 8), 3x3 512->512 at 7x7 120 -> 155 and 150 -> 178, stride-2 3x3
/// 256->512 100 -> 158. 1x1 convolutions lose (188 -> 137 for 256->1024 at
/// 14x14: a 1x1 reduction is too short to pay for the accumulator buffer),
/// and so do 3x3 layers of 28x28 and more at batch 8 (their accumulators no
/// longer fit in L2), so both keep the tiled schedule. Chunks of 32 beat 16
/// by 3-5%: the weights of a 32-channel block and chunk (36 KB) still fit in
/// this machine's 48 KB L1. With two chunks the buffer does not pay either:
/// resnet20's 64-channel 8x8 layers at batch 64 ran 10% slower chunked on
/// one thread and 30% slower on two, hence at least four.
int reductionChunk(int CIg, int KW, int KH, int OH, int OW, int groups) {
  const int chunk = 32;
  if (groups != 1 || KW * KH == 1 || OH * OW > 256 || CIg < 4 * chunk ||
      CIg % chunk != 0)
    return 0;
  // Rows like 11 or 13 would get tiles of one pixel.
  if (chunkedRowTile(OW) < std::min(OW, 4))
    return 0;
  return chunk;
}

/// The chunked schedule (see the file comment): `out` runs in parallel over
/// (output-channel block, image); `conv` holds a block's accumulators for
/// the whole image, initialised with the bias, then updated chunk by chunk
/// (r.w) with every tile of the image inside the chunk, so the chunk's
/// weights are reused from L1 by all tiles.
std::string scheduleChunked(Func out, Func conv, Func in, const RDom &r,
                            int chunk, bool padded, int CO, int OW, int lanes,
                            int registers) {
  Var c = out.args()[0], x = out.args()[1], y = out.args()[2],
      n = out.args()[3];
  const int tx = chunkedRowTile(OW);
  // Accumulators within tileLimits, as in chooseTile; the channel vectors
  // divide the channels so no block overlaps another.
  int cvecs = std::max(
      1, std::min(CO / lanes, tileLimits(registers).accumulators / tx));
  while ((CO / lanes) % cvecs != 0)
    --cvecs;
  const int tc = cvecs * lanes;

  Var co("co"), cv("cv"), t("t"), xo("cxo"), xi("cxi");
  out.split(c, co, cv, tc, TailStrategy::ShiftInwards)
      .reorder(cv, x, y, co, n)
      .vectorize(cv, lanes)
      .fuse(co, n, t)
      .parallel(t);
  conv.compute_at(out, t).vectorize(c, lanes);
  conv.update()
      .split(x, xo, xi, tx)
      .reorder(c, xi, r.x, r.y, r.z, xo, y, n, r.w)
      .vectorize(c, lanes)
      .unroll(c)
      .unroll(xi)
      .unroll(r.x, 2);
  if (padded) {
    // Once per call for the whole batch: a copy per task would repeat it
    // for every channel block.
    std::vector<Var> a = in.args();
    Var pt("pt");
    in.compute_root().vectorize(a[0], lanes).fuse(a[2], a[3], pt).parallel(pt);
  }
  return "conv: chunks of " + std::to_string(chunk) + " input channels, tile " +
         std::to_string(tc) + " channels x " + std::to_string(tx) +
         " pixels, vector " + std::to_string(lanes);
}

/// Depthwise convolutions (one input channel per output channel, as in
/// MobileNet, EfficientNet and ConvNeXt): no input value is reused across
/// output channels, so the layer is bound by loads, not FMAs. A tile is one
/// vector of channels by `tx` pixels of a row with every tap unrolled, so
/// that at stride 1 the input vector that tap kx of pixel x loads is the one
/// tap kx + 1 of pixel x - 1 loads (one load serves up to KW taps), and the
/// channel blocks of a tile run innermost, in memory order. At stride 1 the
/// zero padding is copied once per task (rows of one image, all its
/// channels) instead of a bounds check on every load; at stride 2 the input
/// is four times the output and the copy cost more than the checks (a
/// 144-channel 56x56 layer: 15 GFLOP/s copied, 22 checked, on one core of
/// the Xeon below). Measured against the generic tiled schedule, runs of
/// the two interleaved on a 2-core AVX-512 Xeon (medians of 10-20 passes,
/// resc bench, batch 1): mobilenet_v2 the same on one thread (6.0-6.2 ms),
/// 4.3-5.1 against 5.3-5.4 ms on two; convnext_tiny 70-75 against 72-82 ms
/// on one thread and 43-50 against 49-52 on two; efficientnet_b0 within
/// the noise (10.5-11.3 ms).
std::string scheduleDepthwise(Func out, Func conv, Func in, const RDom &r,
                              bool padded, int lanes, int registers, int KW,
                              int sx, int OW, int OH, int64_t macsPerRow) {
  // The accumulators (tx), the input vectors of one window row
  // ((tx - 1) * stride + KW, each loaded once for all of its taps) and its
  // weights (KW) within tileLimits' accumulator share of the registers
  // (LLVM spills fuller tiles); at least 4 pixels, at most 8.
  int tx = 8;
  while (tx > 4 &&
         tx + (tx - 1) * sx + 2 * KW > tileLimits(registers).accumulators)
    --tx;
  tx = std::min(OW, tx);
  // As parallelRows: tasks of about 2M multiply-adds, and at batch 1 at
  // least 4 per image; a task never spans two images, so that its copy of
  // the padded input is one block of rows.
  const int rows = std::min(OH, rowsPerTask(macsPerRow, OH, true)),
            batchRows = std::min(OH, rowsPerTask(macsPerRow, OH, false));
  Var c = out.args()[0], x = out.args()[1], y = out.args()[2],
      n = out.args()[3];
  Var co("co"), cv("cv"), xo("xo"), xv("xv"), yo("yo"), yi("yi"), task("task");
  auto tile = [&](Stage s, int perTask) {
    s.split(c, co, cv, lanes, TailStrategy::ShiftInwards)
        .split(x, xo, xv, tx, TailStrategy::ShiftInwards)
        .split(y, yo, yi, perTask, TailStrategy::ShiftInwards)
        .reorder(cv, xv, co, xo, yi, yo, n)
        .vectorize(cv)
        .unroll(xv)
        .fuse(yo, n, task)
        .parallel(task);
  };
  if (batchRows != rows)
    tile(out.specialize(out.output_buffer().dim(3).extent() == 1), rows);
  tile(out, batchRows);
  conv.compute_at(out, co).vectorize(c, lanes).unroll(x);
  conv.update()
      .reorder(c, x, r.y, r.z, r.x, r.w)
      .vectorize(c, lanes)
      .unroll(x)
      .unroll(r.y)
      .unroll(r.z);
  const bool copy = padded && sx == 1;
  if (copy)
    in.compute_at(out, task).vectorize(in.args()[0], lanes);
  return "conv: depthwise, tile " + std::to_string(lanes) + " channels x " +
         std::to_string(tx) + " pixels, all taps unrolled, " +
         std::to_string(rows) + " rows per task" +
         (batchRows != rows
              ? " (" + std::to_string(batchRows) + " when batched)"
              : std::string()) +
         (copy ? ", padding copied per task" : "");
}

} // namespace

HalideKernel buildConv(const KernelDesc &desc, const Target &target) {
  if (desc.winograd)
    return buildWinogradConv(desc, target);
  const Dims &inDims = desc.operands[0].dims; // [CI, H, W]
  const int CI = int(inDims[0]), H = int(inDims[1]), W = int(inDims[2]);
  const int CO = int(desc.result[0]), OH = int(desc.result[1]),
            OW = int(desc.result[2]);
  const Dims &wDims = desc.operands[1].dims; // packedConvWeightDims
  const int KW = int(wDims[2]), KH = int(wDims[3]);
  const int groups = int(desc.groups), COg = CO / groups, CIg = CI / groups;
  const int sx = int(desc.stride[1]), sy = int(desc.stride[0]);
  const int px = int(desc.padding[1]), py = int(desc.padding[0]);
  const int dx = int(desc.dilation[1]), dy = int(desc.dilation[0]);

  HalideKernel k;
  k.inputs = makeInputs(desc);
  ImageParam &input = k.inputs[0], &weight = k.inputs[1], &bias = k.inputs[2];

  Var c("c"), x("x"), y("y"), n("n");
  Func in("in_padded");
  if (px || py)
    in = BoundaryConditions::constant_exterior(
        input, 0.0f, {Range(), Range(0, W), Range(0, H)});
  else
    in(c, x, y, n) = input(c, x, y, n);

  const int vec = vectorWidth(target);
  int lanes = vec;
  while (lanes > 1 && CO % lanes != 0)
    lanes /= 2;
  const bool cpuTiled = !usesGpu(target) && lanes >= 4;
  // r.w counts the reduction chunks (one unless the chunked schedule runs).
  const int chunk = cpuTiled ? reductionChunk(CIg, KW, KH, OH, OW, groups) : 0;
  RDom r(0, chunk ? chunk : CIg, 0, KW, 0, KH, 0, chunk ? CIg / chunk : 1, "r");
  // The input channel of output channel c: depthwise and dense convs get a
  // plain index (a vector load or a broadcast); other groupings gather.
  Expr ci;
  if (groups == 1)
    ci = r.w * (chunk ? chunk : CIg) + r.x;
  else if (CIg == 1 && COg == 1)
    ci = c;
  else
    ci = (c / COg) * CIg + r.x;

  Func conv("conv");
  conv(c, x, y, n) = bias(c);
  conv(c, x, y, n) +=
      packedWeight(weight, c, groups == 1 ? ci : Expr(r.x), r.y, r.z) *
      in(ci, x * sx + r.y * dx - px, y * sy + r.z * dy - py, n);

  Func out("out");
  out(c, x, y, n) = applyEpilogue(conv(c, x, y, n), desc, k.inputs,
                                  {c, x, y, n}, desc.result);
  pinOutput(out, desc.result);

  if (usesGpu(target)) {
    k.schedule = "conv: " + scheduleGpuReduction(out, conv, {c, x, y, n});
  } else if (cpuTiled && CIg == 1 && COg == 1 && groups > 1) {
    k.schedule = scheduleDepthwise(out, conv, in, r, px || py, lanes,
                                   vectorRegisters(target), KW, sx, OW, OH,
                                   int64_t(OW) * CO * KW * KH);
  } else if (chunk) {
    k.schedule = scheduleChunked(out, conv, in, r, chunk, px || py, CO, OW,
                                 lanes, vectorRegisters(target));
  } else if (cpuTiled) {
    // Register-tiled schedule.
    const bool columnsInner = windowColumnsInner(CO / lanes, sx, KW);
    const bool inPlace = desc.inPlaceOperand >= 0;
    const Tile tile = chooseTile(CO / lanes, OW, vectorRegisters(target),
                                 columnsInner ? KW : 1, inPlace, inPlace);
    const int cvecs = tile.vectors, tx = tile.pixels;
    const int tc = cvecs * lanes;

    Var co("co"), cv("cv"), xo("xo"), xv("xv"), t("t");
    out.split(c, co, cv, tc, TailStrategy::ShiftInwards)
        .split(x, xo, xv, tx, TailStrategy::ShiftInwards)
        .reorder(cv, xv, xo, y, co, n)
        .vectorize(cv, lanes)
        .unroll(cv)
        .unroll(xv)
        .fuse(y, co, t)
        .fuse(t, n, t);
    const std::string tasks =
        parallelRows(out, t, int64_t(tc) * OW * CIg * KW * KH,
                     int64_t(OH) * ((CO + tc - 1) / tc));
    conv.compute_at(out, xo)
        .vectorize(c, lanes)
        .unroll(c)
        .unroll(x)
        .unroll(y)
        .unroll(n);
    if (columnsInner)
      conv.update().reorder(c, x, y, n, r.y, r.x, r.z).unroll(r.y);
    else
      conv.update().reorder(c, x, y, n, r.x, r.y, r.z);
    conv.update().vectorize(c, lanes).unroll(c).unroll(x).unroll(y).unroll(n);
    // Two input channels per iteration let the FMAs of one overlap the
    // loads of the next.
    if (CIg % 2 == 0 && CIg > 2)
      conv.update().unroll(r.x, 2);
    k.schedule = "conv: tile " + std::to_string(tc) + " channels x " +
                 std::to_string(tx) + " pixels, vector " +
                 std::to_string(lanes) + ", " + tasks +
                 (columnsInner ? ", window columns innermost" : "");
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
