// Kernels of training other than the convolution gradients: the batch
// statistics of training-mode batch norm, its gradients, and the
// vector-Jacobian products of the pointwise, pooling, dense and data
// movement ops.
//
// Layouts: batched operands are in the internal layout (KernelDesc.h);
// unbatched ones (per-channel statistics, raw parameters, weight gradients)
// are C order with Halide dims reversed. Raw parameters are read as the
// caller gave them: in training they change every step, so nothing is
// packed when they are bound.
//
// Channel reductions (mean, variance, sums over every dim but the channel)
// run in two stages inside one kernel: partial sums per (channel, row,
// sample), computed in parallel over rows and samples and vectorised over
// channels, then a short serial sum of the partials per channel. Summing in
// two levels also keeps the float error of a 64 x 32 x 32 reduction well
// below the 1e-4 the tests ask for. batch_norm_grad needs two such sums
// before its pointwise pass; the lowering makes them a separate kernel of
// the plan (BatchNormGradSums), so the pointwise pass stays one parallel
// loop over the output.
#include "compiler/codegen/Kernels.h"

#include "dialect/ResDialect.h"

#include <cmath>
#include <limits>

using namespace Halide;

namespace res {
namespace codegen {

namespace {

/// The run-time batch of batched operand `p` with dims `d`.
Expr batchOf(const ImageParam &p, const Dims &d) {
  return p.dim(int(internalExtents(d).size())).extent();
}

/// Element (c, x, y, n) of a batched rank-2 ([C]) or rank-4 ([C, H, W])
/// tensor; x and y are ignored for rank 2.
Expr at4(const ImageParam &p, const Dims &d, Expr c, Expr x, Expr y, Expr n) {
  if (d.size() == 3)
    return p(c, x, y, n);
  if (d.size() == 1)
    return p(c, n);
  throw CompileError("channel kernels take tensors of rank 2 or 4");
}

void requireChannelRank(const Dims &d) {
  if (d.size() != 1 && d.size() != 3)
    throw CompileError("channel kernels take tensors of rank 2 or 4");
}

/// Pins the output of an unbatched result with logical dims `dims`.
void pinUnbatched(Func out, const Dims &dims) {
  int stride = 1;
  for (size_t i = 0; i < dims.size(); ++i) {
    int extent = int(dims[dims.size() - 1 - i]);
    out.output_buffer().dim(int(i)).set_bounds(0, extent).set_stride(stride);
    stride *= extent;
  }
}

/// The schedule of an unbatched pointwise result (a parameter-sized
/// tensor): vectorised along its contiguous dim, the outermost dim in
/// parallel when there is one.
std::string scheduleUnbatched(Func out, const std::vector<Var> &vars,
                              const Dims &dims, const Target &target) {
  if (usesGpu(target))
    return scheduleGpuPointwise(out, vars).description;
  int width = vectorizeInner(out, vars[0], int(dims.back()), target);
  if (vars.size() > 1)
    out.parallel(vars.back());
  return "unbatched pointwise: vector " + std::to_string(width);
}

/// Vectors of `lanes` per register tile over `channels` features: 3 or 2
/// when one of them divides the features (no tile overlaps the last), else
/// the most that fit, at most 3.
int tileVectors(int channels, int lanes) {
  if (lanes < 4)
    return 1;
  const int vectors = channels / lanes;
  for (int v : {3, 2})
    if (vectors >= v && channels % (v * lanes) == 0)
      return v;
  return std::max(1, std::min(vectors, 3));
}

/// Channel vector width: the target's, halved down to the channel count.
int channelLanes(int channels, const Target &target) {
  int width = vectorWidth(target);
  while (width > channels && width > 4)
    width /= 2;
  return width > channels ? 1 : width;
}

//===----------------------------------------------------------------------===//
// Channel reductions
//===----------------------------------------------------------------------===//

HalideKernel buildChannelReduction(const KernelDesc &desc,
                                   const Target &target) {
  HalideKernel k;
  k.inputs = makeInputs(desc);
  const Dims &xd = desc.operands[0].dims;
  requireChannelRank(xd);
  const bool spatial = xd.size() == 3;
  const int C = int(xd[0]), H = spatial ? int(xd[1]) : 1,
            W = spatial ? int(xd[2]) : 1;
  Expr N = batchOf(k.inputs[0], xd);
  Expr count = cast<float>(N * (H * W));

  Var c("c"), y("y"), n("n");
  RDom rx(0, W, "rx");
  auto x0 = [&](int i) { return at4(k.inputs[i], xd, c, rx, y, n); };
  // The terms summed per channel.
  std::vector<Expr> terms;
  const double eps = desc.real;
  auto xhat = [&](int dyIndex) {
    Expr r = 1.0f / sqrt(k.inputs[dyIndex + 3](c) + float(eps));
    return (x0(dyIndex + 1) - k.inputs[dyIndex + 2](c)) * r;
  };
  switch (desc.kind) {
  case KernelKind::ChannelMean:
  case KernelKind::ChannelSum:
    terms = {x0(0)};
    break;
  case KernelKind::ChannelVar: {
    Expr d = x0(0) - k.inputs[1](c);
    terms = {d * d};
    break;
  }
  case KernelKind::BatchNormGradGamma:
    terms = {x0(0) * xhat(0)};
    break;
  case KernelKind::BatchNormGradSums:
    terms = {x0(0), x0(0) * xhat(0)};
    break;
  case KernelKind::ChannelScaleGradScale:
    terms = {x0(0) * x0(1)};
    break;
  default:
    throw CompileError("not a channel reduction");
  }
  const size_t T = terms.size();
  // One sum is a plain Func, two a Tuple (read with [i]).
  auto get = [T](FuncRef ref, size_t i) -> Expr {
    return T == 1 ? Expr(ref) : Expr(ref[int(i)]);
  };
  auto set = [T](FuncRef ref, const std::vector<Expr> &values) {
    if (T == 1)
      ref = values[0];
    else
      ref = Tuple(values);
  };
  std::vector<Expr> zeros(T, 0.0f), next(T);

  // Stage 1: partial(c, y, n) = sum over the row.
  Func partial("partial");
  set(partial(c, y, n), zeros);
  for (size_t i = 0; i < T; ++i)
    next[i] = get(partial(c, y, n), i) + terms[i];
  set(partial(c, y, n), next);

  // The stored partials (a copy of `partial`, computed per thread on a GPU;
  // inlined on the CPU, where `partial` itself is stored).
  Func partialOut("partial_out");
  for (size_t i = 0; i < T; ++i)
    next[i] = get(partial(c, y, n), i);
  set(partialOut(c, y, n), next);

  // Stage 2: the sum of the partials per channel.
  RDom rp(0, H, 0, N, "rp");
  Func total("total");
  set(total(c), zeros);
  for (size_t i = 0; i < T; ++i)
    next[i] = get(total(c), i) + get(partialOut(c, rp.x, rp.y), i);
  set(total(c), next);

  Func out("out");
  std::vector<Var> outVars = {c};
  switch (desc.kind) {
  case KernelKind::ChannelMean:
    out(c) = get(total(c), 0) / count;
    break;
  case KernelKind::ChannelVar: {
    Expr divisor = desc.unbiased ? count - 1.0f : count;
    out(c) = get(total(c), 0) / divisor;
    break;
  }
  case KernelKind::BatchNormGradSums: {
    Var k2("k");
    out(c, k2) = select(k2 == 0, total(c)[0], total(c)[1]);
    outVars.push_back(k2);
    break;
  }
  case KernelKind::ChannelScaleGradScale:
    if (desc.result.size() == 3) {
      // The scale [C, 1, 1]: Halide dims (1, 1, C).
      Var u("u"), v("v");
      out(u, v, c) = get(total(c), 0);
      outVars = {u, v, c};
    } else {
      out(c) = get(total(c), 0);
    }
    break;
  default:
    out(c) = get(total(c), 0);
    break;
  }
  pinUnbatched(out, desc.result);

  auto finish = [&] {
    k.pipeline = Pipeline(out);
    if (desc.kind == KernelKind::ChannelVar)
      // PyTorch's message; checked on the host before anything runs, so
      // that the kernel fails with it instead of dividing by zero.
      k.pipeline.add_requirement(N * (H * W) >= 2,
                                 "batch norm in training needs more than one "
                                 "value per channel (train on a batch of 2 "
                                 "or more), got",
                                 N * (H * W));
  };
  if (usesGpu(target)) {
    // One thread per (channel, row, sample) partial, then one per output.
    partialOut.compute_root();
    scheduleGpuReduction(partialOut, partial, {c, y, n});
    k.schedule = std::string(kindName(desc.kind)) + ": " +
                 scheduleGpuReduction(out, total, outVars) +
                 ", partial sums per row";
    finish();
    return k;
  }

  const int lanes = channelLanes(C, target);
  TailStrategy tail =
      C % std::max(lanes, 1) ? TailStrategy::GuardWithIf : TailStrategy::Auto;
  partial.compute_root();
  if (spatial)
    partial.update().reorder(c, rx, y, n);
  // Rows of all samples in parallel, in tasks of about 16K elements.
  const int rowsPerTask = std::max(1, 16 * 1024 / (W * C));
  Var rows("rows");
  partial.update().fuse(y, n, rows);
  parallelInTasks(partial.update(), rows, rowsPerTask);
  total.compute_root();
  total.update().reorder(c, rp.x, rp.y);
  if (lanes > 1) {
    partial.vectorize(c, lanes, tail);
    partial.update().vectorize(c, lanes, tail);
    total.vectorize(c, lanes, tail);
    total.update().vectorize(c, lanes, tail);
  }
  k.schedule = std::string(kindName(desc.kind)) +
               ": partial sums per row in parallel, vector " +
               std::to_string(lanes);
  finish();
  return k;
}

//===----------------------------------------------------------------------===//
// Pointwise gradients
//===----------------------------------------------------------------------===//

/// dy * act'(x).
Expr activationGrad(Activation kind, Expr dy, Expr x) {
  switch (kind) {
  case Activation::identity:
    return dy;
  case Activation::relu:
    return select(x > 0.0f, dy, 0.0f);
  case Activation::sigmoid: {
    Expr s = 1.0f / (1.0f + exp(-x));
    return dy * s * (1.0f - s);
  }
  case Activation::tanh: {
    Expr t = tanh(x);
    return dy * (1.0f - t * t);
  }
  case Activation::gelu: {
    // Φ(x) + x φ(x), the derivative of x Φ(x).
    Expr cdf = 0.5f * (1.0f + erf(x * float(1.0 / std::sqrt(2.0))));
    Expr pdf = exp(-0.5f * x * x) * float(1.0 / std::sqrt(2.0 * M_PI));
    return dy * (cdf + x * pdf);
  }
  case Activation::relu6:
    return select(x > 0.0f && x < 6.0f, dy, 0.0f);
  case Activation::hardsigmoid:
    return select(x > -3.0f && x < 3.0f, dy / 6.0f, 0.0f);
  case Activation::hardswish:
    return select(x < -3.0f, 0.0f,
                  select(x <= 3.0f, dy * (x / 3.0f + 0.5f), dy));
  case Activation::silu: {
    Expr s = 1.0f / (1.0f + exp(-x));
    return dy * s * (1.0f + x * (1.0f - s));
  }
  }
  return dy;
}

/// Logical index [c, h, w] / [d1, ...] of internal coordinates (no batch).
std::vector<Expr> logicalOf(const Dims &dims, const std::vector<Expr> &args) {
  if (dims.size() == 3)
    return {args[0], args[2], args[1]};
  std::vector<Expr> logical(args.begin(), args.begin() + dims.size());
  std::reverse(logical.begin(), logical.end());
  return logical;
}

/// Internal coordinates (batch last) of a logical index.
std::vector<Expr> internalOf(const Dims &dims, const std::vector<Expr> &logical,
                             Expr n) {
  std::vector<Expr> args;
  if (dims.size() == 3)
    args = {logical[0], logical[2], logical[1]};
  else
    args.assign(logical.rbegin(), logical.rend());
  args.push_back(n);
  return args;
}

HalideKernel buildPointwiseGrad(const KernelDesc &desc, const Target &target) {
  HalideKernel k;
  k.inputs = makeInputs(desc);
  std::vector<ImageParam> &in = k.inputs;
  const Dims &dims = desc.result;
  const bool batched = desc.resultBatched;
  std::vector<Var> vars = makeVars(int(dims.size()) + (batched ? 1 : 0));
  std::vector<Expr> args = asExprs(vars);
  const int ch = batched ? channelIndex(dims) : 0;
  Func out("out");

  switch (desc.kind) {
  case KernelKind::Lerp: {
    const float m = float(desc.real);
    out(vars) = (1.0f - m) * in[0](args) + m * in[1](args);
    break;
  }
  case KernelKind::Scale:
    out(vars) = float(desc.real) * in[0](args);
    break;
  case KernelKind::Sum:
  case KernelKind::FromInternal: // an unbatched output: a copy
    out(vars) =
        desc.kind == KernelKind::Sum ? in[0](args) + in[1](args) : in[0](args);
    break;
  case KernelKind::ActivationGrad:
    out(vars) = activationGrad(desc.act, in[0](args), in[1](args));
    break;
  case KernelKind::BatchNormTrain: {
    // x, gamma, beta, mean, var: the batch statistics in place of the
    // running ones.
    Expr c = args[ch];
    Expr r = 1.0f / sqrt(in[4](c) + float(desc.real));
    out(vars) = (in[0](args) - in[3](c)) * r * in[1](c) + in[2](c);
    break;
  }
  case KernelKind::BatchNormGrad: {
    // dy, x, gamma, mean, var, sums(c, 0..1):
    //   dx = gamma r (dy - sum(dy)/n - xhat sum(dy xhat)/n)
    Expr c = args[ch];
    Expr N = batchOf(in[0], dims);
    Expr count = cast<float>(N * int(perSample(dims) / dims[0]));
    Expr r = 1.0f / sqrt(in[4](c) + float(desc.real));
    Expr xhat = (in[1](args) - in[3](c)) * r;
    Expr inv = 1.0f / count;
    out(vars) = in[2](c) * r *
                (in[0](args) - in[5](c, 0) * inv - xhat * in[5](c, 1) * inv);
    break;
  }
  case KernelKind::GlobalAvgPoolGrad: {
    const float inv = 1.0f / float(dims[1] * dims[2]);
    out(vars) = in[0](args[0], args[3]) * inv;
    break;
  }
  case KernelKind::Reshape: {
    // The flat C-order index of the output, decomposed in the input's dims.
    const Dims &from = desc.operands[0].dims;
    std::vector<Expr> logical = logicalOf(dims, args);
    Expr flat = 0;
    for (size_t i = 0; i < dims.size(); ++i)
      flat = flat * int(dims[i]) + logical[i];
    std::vector<Expr> src(from.size());
    for (int i = int(from.size()) - 1; i >= 0; --i) {
      src[i] = i == 0 ? flat : flat % int(from[i]);
      flat = flat / int(from[i]);
    }
    out(vars) = in[0](internalOf(from, src, args.back()));
    break;
  }
  case KernelKind::UpsampleGrad: {
    const int f = int(desc.factor);
    RDom r(0, f, 0, f, "r");
    out(vars) =
        sum(in[0](args[0], args[1] * f + r.x, args[2] * f + r.y, args[3]));
    break;
  }
  case KernelKind::SliceChannels: {
    std::vector<Expr> at = args;
    at[ch] = args[ch] + int(desc.offset);
    out(vars) = in[0](at);
    break;
  }
  default:
    throw CompileError("not a pointwise gradient");
  }
  const std::string what = std::string(kindName(desc.kind)) + ": ";
  if (batched) {
    pinOutput(out, dims);
    k.schedule =
        what + schedulePointwise(out, vars, internalExtents(dims), target);
  } else {
    pinUnbatched(out, dims);
    k.schedule = what + scheduleUnbatched(out, vars, dims, target);
  }
  k.pipeline = Pipeline(out);
  return k;
}

//===----------------------------------------------------------------------===//
// Pooling gradients
//===----------------------------------------------------------------------===//

/// Gathers, for input pixel (x, y), the outputs whose window covers it:
/// tap (kx, ky) of output (ox, oy) covers x = ox*sx - px + kx, so the tap
/// contributes when x + px - kx is a multiple of sx inside the output.
struct Gather {
  Expr valid, ox, oy, tap;
};
Gather gather(const KernelDesc &desc, Expr x, Expr y, RDom r, int OW, int OH) {
  const int sx = int(desc.stride[1]), sy = int(desc.stride[0]);
  const int px = int(desc.padding[1]), py = int(desc.padding[0]);
  const int KW = int(desc.kernel[1]);
  Expr tx = x + px - r.x, ty = y + py - r.y;
  Expr ox = tx / sx, oy = ty / sy; // Euclidean: exact when divisible
  Expr valid =
      tx % sx == 0 && ty % sy == 0 && ox >= 0 && ox < OW && oy >= 0 && oy < OH;
  return {valid, clamp(ox, 0, OW - 1), clamp(oy, 0, OH - 1), r.y * KW + r.x};
}

HalideKernel buildPoolGrad(const KernelDesc &desc, const Target &target) {
  HalideKernel k;
  k.inputs = makeInputs(desc);
  const Dims &dyDims = desc.operands[0].dims;
  const int OH = int(dyDims[1]), OW = int(dyDims[2]);
  const int H = int(desc.result[1]), W = int(desc.result[2]);
  const int KH = int(desc.kernel[0]), KW = int(desc.kernel[1]);
  const int sx = int(desc.stride[1]), sy = int(desc.stride[0]);
  const int px = int(desc.padding[1]), py = int(desc.padding[0]);
  ImageParam &dy = k.inputs[0];
  Var c("c"), x("x"), y("y"), n("n");
  RDom r(0, KW, 0, KH, "r");
  Gather g = gather(desc, x, y, r, OW, OH);
  Func out("out");
  Func argmax("argmax"), argmaxOut("argmax_out");
  const bool isMax = desc.kind == KernelKind::MaxPoolGrad;
  if (isMax) {
    // The window's first maximum (row-major: kx inner), padding never
    // winning; a NaN wins as in the forward pass.
    ImageParam &input = k.inputs[1];
    Expr ix = x * sx - px + r.x, iy = y * sy - py + r.y;
    Expr inside = ix >= 0 && ix < W && iy >= 0 && iy < H;
    Expr v = input(c, clamp(ix, 0, W - 1), clamp(iy, 0, H - 1), n);
    argmax(c, x, y, n) = Tuple(-1, -std::numeric_limits<float>::infinity());
    Expr best = argmax(c, x, y, n)[1];
    Expr take = inside && (argmax(c, x, y, n)[0] < 0 || v > best ||
                           (is_nan(v) && !is_nan(best)));
    argmax(c, x, y, n) =
        Tuple(select(take, r.y * KW + r.x, argmax(c, x, y, n)[0]),
              select(take, v, best));
    argmaxOut(c, x, y, n) = argmax(c, x, y, n)[0];
    out(c, x, y, n) =
        sum(select(g.valid && argmaxOut(c, g.ox, g.oy, n) == g.tap,
                   dy(c, g.ox, g.oy, n), 0.0f));
  } else {
    const float inv = 1.0f / float(KH * KW);
    out(c, x, y, n) = sum(select(g.valid, dy(c, g.ox, g.oy, n), 0.0f)) * inv;
  }
  pinOutput(out, desc.result);
  const std::string what = std::string(kindName(desc.kind)) + ": ";
  if (usesGpu(target)) {
    if (isMax) {
      argmaxOut.compute_root();
      scheduleGpuReduction(argmaxOut, argmax, {c, x, y, n});
    }
    k.schedule = what + scheduleGpuPointwise(out, {c, x, y, n}).description;
    k.pipeline = Pipeline(out);
    return k;
  }
  const int C = int(desc.result[0]);
  if (isMax) {
    // The window maxima once per output (not once per covering input).
    // Vectorised only where the lanes divide the channels: Halide 14
    // miscompiles this Tuple reduction with a guarded tail.
    Var rows("rows");
    const int lanes = channelLanes(C, target);
    argmaxOut.compute_root().fuse(y, n, rows).parallel(rows);
    argmax.compute_at(argmaxOut, x);
    if (lanes > 1 && C % lanes == 0) {
      argmaxOut.vectorize(c, lanes);
      argmax.vectorize(c, lanes);
      argmax.update().reorder(c, r.x, r.y).vectorize(c, lanes);
    }
  }
  k.schedule = what + schedulePointwise(out, {c, x, y, n},
                                        internalExtents(desc.result), target);
  k.pipeline = Pipeline(out);
  return k;
}

//===----------------------------------------------------------------------===//
// Softmax and dense gradients
//===----------------------------------------------------------------------===//

HalideKernel buildSoftmaxGrad(const KernelDesc &desc, const Target &target) {
  // y * (dy - sum_j dy_j y_j) over the last logical dim, the dot product
  // computed per row at the batch loop as in the forward softmax.
  HalideKernel k;
  k.inputs = makeInputs(desc);
  const Dims &dims = desc.result;
  const int rank = int(dims.size());
  const int d = rank == 3 ? 1 : 0;
  const int extent = internalExtents(dims)[d];
  std::vector<Var> vars = makeVars(rank + 1);
  std::vector<Expr> args = asExprs(vars);
  std::vector<Var> rowVars;
  for (int i = 0; i <= rank; ++i)
    if (i != d)
      rowVars.push_back(vars[i]);
  RDom r(0, extent, "r");
  std::vector<Expr> at = args;
  at[d] = r.x;
  Func dot("row_dot"), out("out");
  dot(rowVars) = sum(k.inputs[0](at) * k.inputs[1](at));
  out(vars) = k.inputs[1](args) * (k.inputs[0](args) - dot(asExprs(rowVars)));
  pinOutput(out, dims);
  if (usesGpu(target)) {
    dot.compute_root();
    scheduleGpuPointwise(dot, rowVars);
    k.schedule = "softmax_grad: " + scheduleGpuPointwise(out, vars).description;
    k.pipeline = Pipeline(out);
    return k;
  }
  Var n = vars.back();
  out.parallel(n);
  dot.compute_at(out, n);
  int width = d == 0 ? vectorizeInner(out, vars[0], extent, target) : 1;
  k.schedule =
      "softmax_grad: rows at the batch loop, vector " + std::to_string(width);
  k.pipeline = Pipeline(out);
  return k;
}

/// Dense layers on [N, D] and, per pixel, on [N, C, H, W]: in the internal
/// layout both have the features innermost, Halide (f, n) and (f, x, y, n),
/// so the per-pixel layer is the same product with (x, y, n) as its rows.
HalideKernel buildDenseGrad(const KernelDesc &desc, const Target &target) {
  HalideKernel k;
  k.inputs = makeInputs(desc);
  Func acc("acc"), out("out");
  if (desc.kind == KernelKind::DenseGradInput) {
    // dx(i, n) = sum_o dy(o, n) w(i, o): the raw [O, I] weight has the
    // input features contiguous, so this is the forward dense schedule
    // with the roles of the dims swapped: vectors of i, a broadcast of dy.
    const int I = int(desc.result[0]), O = int(desc.operands[0].dims[0]);
    ImageParam &dy = k.inputs[0], &w = k.inputs[1];
    std::vector<Var> vars = makeVars(int(desc.result.size()) + 1);
    const Var &i = vars[0];
    std::vector<Expr> rows(vars.begin() + 1, vars.end());
    RDom r(0, O, "r");
    std::vector<Expr> dyAt = {r.x};
    dyAt.insert(dyAt.end(), rows.begin(), rows.end());
    acc(vars) = 0.0f;
    acc(vars) += w(i, r) * dy(dyAt);
    out(vars) = acc(vars);
    pinOutput(out, desc.result);
    const int lanes = channelLanes(I, target);
    const int rowTile = vectorRegisters(target) >= 32 ? 8 : 4;
    const int vecs = tileVectors(I, lanes);
    if (!usesGpu(target) && lanes >= 4 && desc.result.size() == 3 &&
        desc.result[2] >= rowTile) {
      // Per position ([I, H, W]: tokens, pixels): register tiles of `vecs`
      // vectors of features times `rowTile` positions of a row, so each
      // weight vector feeds rowTile FMAs. The row-at-a-time schedule below
      // loaded a weight vector per FMA; on vit_cifar's training step at
      // batch 64 (Intel Xeon, AVX-512, two threads, a noisy machine) this
      // took the MLP's dense_grad_input from about 20 to 12 ms a call.
      const Var &x = vars[1], &y = vars[2], &n = vars[3];
      Var io("io"), iv("iv"), xo("xo"), xi("xi"), t("t");
      out.split(i, io, iv, vecs * lanes, TailStrategy::ShiftInwards)
          .split(x, xo, xi, rowTile, TailStrategy::ShiftInwards)
          .reorder(iv, xi, io, xo, y, n)
          .vectorize(iv, lanes)
          .unroll(iv)
          .unroll(xi)
          .fuse(io, xo, t)
          .fuse(t, y, t)
          .fuse(t, n, t)
          .parallel(t);
      acc.compute_at(out, t).vectorize(i, lanes).unroll(i).unroll(x);
      acc.update()
          .reorder(i, x, r.x, y, n)
          .vectorize(i, lanes)
          .unroll(i)
          .unroll(x);
      k.schedule = "dense_grad_input: tiles of " +
                   std::to_string(vecs * lanes) + " features x " +
                   std::to_string(rowTile) + " positions, vector " +
                   std::to_string(lanes);
      k.pipeline = Pipeline(out);
      return k;
    }
    // The rows as one loop: the batch, or (x, y, n) per pixel.
    Var n = vars.back();
    for (size_t d = vars.size() - 2; d >= 1; --d) {
      Var fused(vars[d].name() + "n");
      out.fuse(vars[d], n, fused);
      n = fused;
    }
    if (usesGpu(target)) {
      k.schedule =
          "dense_grad_input: " + scheduleGpuReduction(out, acc, {i, n});
    } else {
      if (lanes >= 4) {
        const int block = I >= 4 * lanes ? 4 : I >= 2 * lanes ? 2 : 1;
        Var io("io"), iv("iv"), t("t");
        out.split(i, io, iv, block * lanes, TailStrategy::ShiftInwards)
            .reorder(iv, io, n)
            .vectorize(iv, lanes)
            .unroll(iv)
            .fuse(io, n, t)
            .parallel(t);
        acc.compute_at(out, t).vectorize(i, lanes).unroll(i);
        std::vector<VarOrRVar> order(vars.begin(), vars.end());
        order.push_back(r.x);
        acc.update().reorder(order).vectorize(i, lanes).unroll(i);
        k.schedule = "dense_grad_input: block " +
                     std::to_string(block * lanes) + " features, vector " +
                     std::to_string(lanes);
      } else {
        acc.compute_at(out, n);
        out.parallel(n);
        k.schedule = "dense_grad_input: scalar";
      }
    }
  } else {
    // dw(i, o) = sum over rows of dy(o, row) x(i, row), [O, I] C order:
    // vectors of i (contiguous in x and in dw), 4 outputs o per register
    // tile so that each x vector feeds 4 FMAs; tiles in parallel.
    const int O = int(desc.result[0]), I = int(desc.result[1]);
    ImageParam &x = k.inputs[0], &dy = k.inputs[1];
    const Dims &xd = desc.operands[0].dims; // [I] or [I, H, W]
    Var i("i"), o("o");
    Expr batch = batchOf(x, xd);
    RDom r = xd.size() == 3 ? RDom(0, int(xd[2]), 0, int(xd[1]), 0, batch, "r")
                            : RDom(0, batch, "r");
    auto at = [&](Expr f) {
      return xd.size() == 3 ? std::vector<Expr>{f, r.x, r.y, r.z}
                            : std::vector<Expr>{f, r.x};
    };
    acc(i, o) = 0.0f;
    acc(i, o) += dy(at(o)) * x(at(i));
    out(i, o) = acc(i, o);
    pinUnbatched(out, desc.result);
    if (usesGpu(target)) {
      k.schedule =
          "dense_grad_weight: " + scheduleGpuReduction(out, acc, {i, o});
    } else {
      // Register tiles of `vecs` vectors of inputs i times `ob` outputs o:
      // per row a load of each x vector and ob broadcasts of dy feed
      // vecs x ob FMAs, up to 3/4 of the registers. With one vector and 4
      // outputs (the earlier tile) each task streamed every row for 4
      // FMAs a vector; on vit_cifar's training step at batch 64 (Intel
      // Xeon, AVX-512, two threads, a noisy machine) the MLP's
      // dense_grad_weight went from about 40 to 21 ms a call. Blocking the
      // rows for the caches (rfactor over blocks of images) was tried on
      // top and could not be told apart from noise there.
      const int lanes = channelLanes(I, target);
      const int vecs = tileVectors(I, lanes);
      const int ob =
          std::max(1, std::min<int>(O, vectorRegisters(target) * 3 / 4 / vecs));
      Var io("io"), iv("iv"), oo("oo"), ov("ov"), t("t");
      if (lanes >= 4)
        out.split(i, io, iv, vecs * lanes, TailStrategy::ShiftInwards)
            .vectorize(iv, lanes)
            .unroll(iv);
      else
        out.split(i, io, iv, 1);
      out.split(o, oo, ov, ob, TailStrategy::ShiftInwards)
          .reorder(iv, ov, io, oo)
          .unroll(ov)
          .fuse(io, oo, t)
          .parallel(t);
      acc.compute_at(out, t).unroll(o);
      if (xd.size() == 3)
        acc.update().reorder(i, o, r.x, r.y, r.z).unroll(o);
      else
        acc.update().reorder(i, o, r.x).unroll(o);
      if (lanes >= 4) {
        acc.vectorize(i, lanes).unroll(i);
        acc.update().vectorize(i, lanes).unroll(i);
      }
      k.schedule = "dense_grad_weight: tile " + std::to_string(ob) +
                   " outputs x " + std::to_string(vecs) + " vectors of " +
                   std::to_string(lanes);
    }
  }
  k.pipeline = Pipeline(out);
  return k;
}

/// The gate's gradient of a channel_mul: per channel and sample, the sum
/// over H and W of dy * x. Each output reads one [H, W] plane of each
/// input, a short reduction: one output per vector lane over channels.
HalideKernel buildChannelMulGradGate(const KernelDesc &desc,
                                     const Target &target) {
  HalideKernel k;
  k.inputs = makeInputs(desc);
  ImageParam &dy = k.inputs[0], &x = k.inputs[1];
  const Dims &in = desc.operands[0].dims; // [C, H, W]
  RDom r(0, int(in[2]), 0, int(in[1]), "r");
  std::vector<Var> vars = makeVars(int(desc.result.size()) + 1);
  const Var &c = vars[0], &n = vars.back();
  Func out("out");
  out(vars) = sum(dy(c, r.x, r.y, n) * x(c, r.x, r.y, n));
  pinOutput(out, desc.result);
  const std::string what = "channel_mul_grad_gate: ";
  if (usesGpu(target)) {
    k.schedule = what + scheduleGpuPointwise(out, vars).description;
  } else {
    k.schedule = what + schedulePointwise(out, vars,
                                          internalExtents(desc.result), target);
  }
  k.pipeline = Pipeline(out);
  return k;
}

} // namespace

HalideKernel buildGrad(const KernelDesc &desc, const Target &target) {
  switch (desc.kind) {
  case KernelKind::ChannelMean:
  case KernelKind::ChannelVar:
  case KernelKind::ChannelSum:
  case KernelKind::BatchNormGradSums:
  case KernelKind::BatchNormGradGamma:
  case KernelKind::ChannelScaleGradScale:
    return buildChannelReduction(desc, target);
  case KernelKind::LayerNormGrad:
    return buildLayerNormGrad(desc, target);
  case KernelKind::LayerNormGradWeight:
    return buildLayerNormGradWeight(desc, target);
  case KernelKind::MaxPoolGrad:
  case KernelKind::AvgPoolGrad:
    return buildPoolGrad(desc, target);
  case KernelKind::SoftmaxGrad:
    return buildSoftmaxGrad(desc, target);
  case KernelKind::ChannelMulGradGate:
    return buildChannelMulGradGate(desc, target);
  case KernelKind::DenseGradInput:
  case KernelKind::DenseGradWeight:
    return buildDenseGrad(desc, target);
  default:
    return buildPointwiseGrad(desc, target);
  }
}

} // namespace codegen
} // namespace res
