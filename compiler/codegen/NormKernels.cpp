// Layer norm and its gradients: reductions over the innermost internal dim.
//
// The features a layer norm normalises are the innermost Halide dim of its
// tensor in every rank it takes: the channels c of [N, C, H, W] (dims
// (c, x, y, n)), the features d of [N, D] (dims (d, n)), and the d of the
// [N, T, D] token tensors still to come (dims (d, t, n)). So each position
// (every Halide coordinate but dim 0) has its mean and 1 / sqrt(var +
// epsilon) computed once, then the output of its features reads them.
//
// CPU: the positions of one row (dim 1, the pixels of an image row) have
// their statistics computed together at the parallel row loop, vectorised
// across the positions (a strided read per feature: the sums run over c
// while the vector lanes are pixels), and the output is vectorised over the
// features. GPU: one thread per position for the statistics, then one per
// output element, as softmax does.
#include "compiler/codegen/Kernels.h"

using namespace Halide;

namespace res {
namespace codegen {

namespace {

/// The per-position statistics of `x` (Halide dims `vars`, dim 0 the
/// features): `mean` and `rstd` over the other vars.
struct RowStats {
  Func mean, rstd;
  std::vector<Func> sums; // the explicit reductions (CPU) to schedule
  std::vector<Var> rowVars;
  RDom r;
};

/// A sum over the features r of `term`, as a Func of the row vars: an
/// explicit update on CPU targets (so that it can be vectorised across
/// positions), an inline sum on GPU targets (computed per thread).
Func rowSum(const std::string &name, const std::vector<Var> &rowVars, Expr term,
            bool gpu, std::vector<Func> &sums) {
  Func f(name);
  if (gpu) {
    f(rowVars) = sum(term);
    return f;
  }
  f(rowVars) = 0.0f;
  f(rowVars) += term;
  sums.push_back(f);
  return f;
}

RowStats rowStats(const ImageParam &x, const std::vector<Var> &vars, int len,
                  double epsilon, bool gpu) {
  RowStats s;
  s.rowVars.assign(vars.begin() + 1, vars.end());
  s.r = RDom(0, len, "r");
  std::vector<Expr> at = asExprs(vars), row = asExprs(s.rowVars);
  at[0] = s.r.x;
  const float inv = 1.0f / float(len);
  Func total = rowSum("ln_sum", s.rowVars, x(at), gpu, s.sums);
  s.mean = Func("ln_mean");
  s.mean(s.rowVars) = total(row) * inv;
  Expr d = x(at) - s.mean(row);
  Func squares = rowSum("ln_squares", s.rowVars, d * d, gpu, s.sums);
  s.rstd = Func("ln_rstd");
  // Biased variance, epsilon inside the root, as PyTorch's layer_norm.
  s.rstd(s.rowVars) = 1.0f / sqrt(squares(row) * inv + float(epsilon));
  return s;
}

/// The lanes for vectorising across `extent` positions: the target's
/// width, halved until it divides the extent; 1 below 4. Exact on purpose:
/// the sums are update definitions, which cannot shift their last vector
/// inwards, and a guarded tail of strided loads (a row of 5 pixels in
/// vectors of 4) computed wrong sums with Halide 14.
int positionLanes(int extent, const Target &target) {
  int width = vectorWidth(target);
  while (width >= 4 && extent % width != 0)
    width /= 2;
  return width >= 4 ? width : 1;
}

/// Schedules `out` (Halide dims `vars`, `extents` innermost first) and the
/// row Funcs `rows` (statistics and their reductions, functions of
/// vars[1..]) that it reads. Returns the description.
std::string scheduleRows(Func out, const std::vector<Var> &vars,
                         const std::vector<int> &extents,
                         const std::vector<Func> &rows,
                         const std::vector<Func> &sums, const RDom &r,
                         const Target &target) {
  const std::vector<Var> rowVars(vars.begin() + 1, vars.end());
  if (usesGpu(target)) {
    for (Func f : rows) {
      f.compute_root();
      scheduleGpuPointwise(f, rowVars);
    }
    return "statistics one thread per position, then " +
           scheduleGpuPointwise(out, vars).description;
  }
  // The row loop: every dim above dim 1 fused with the batch (one image
  // row of [N, C, H, W], one sample of [N, D]).
  Var row = vars.back();
  for (int i = int(vars.size()) - 2; i >= 2; --i) {
    Var next("row" + std::to_string(i));
    out.fuse(vars[i], row, next);
    row = next;
  }
  out.parallel(row);
  const int width = vectorizeInner(out, vars[0], extents[0], target);
  // Positions of a row (dim 1) are the vector lanes of the statistics.
  const bool positions = vars.size() > 2;
  const int lanes = positions ? positionLanes(extents[1], target) : 1;
  for (Func f : rows) {
    f.compute_at(out, row);
    if (lanes > 1)
      f.vectorize(vars[1], lanes);
  }
  for (Func f : sums) {
    if (lanes <= 1)
      continue;
    Var outer("outer"), lane("lane");
    f.update()
        .split(vars[1], outer, lane, lanes)
        .reorder(lane, r.x, outer)
        .vectorize(lane);
  }
  return "statistics per row at the parallel row loop, vector " +
         std::to_string(lanes) + " across positions; output vector " +
         std::to_string(width);
}

} // namespace

HalideKernel buildLayerNorm(const KernelDesc &desc, const Target &target) {
  // y = (x - mean) * rstd [* weight + bias], then the fused epilogue.
  HalideKernel k;
  k.inputs = makeInputs(desc);
  const Dims &dims = desc.result;
  const std::vector<int> extents = internalExtents(dims);
  const int len = extents[0];
  const bool gpu = usesGpu(target);
  std::vector<Var> vars = makeVars(int(dims.size()) + 1);
  std::vector<Expr> args = asExprs(vars);
  RowStats s = rowStats(k.inputs[0], vars, len, desc.real, gpu);
  std::vector<Expr> row = asExprs(s.rowVars);
  Expr y = (k.inputs[0](args) - s.mean(row)) * s.rstd(row);
  // Operands 1 and 2 are the affine's weight and bias (raw parameters);
  // the epilogue's operands follow.
  if (desc.affine)
    y = y * k.inputs[1](args[0]) + k.inputs[2](args[0]);
  Func out("out");
  out(vars) = applyEpilogue(y, desc, k.inputs, args, dims);
  pinOutput(out, dims);
  std::vector<Func> rows = s.sums;
  rows.push_back(s.mean);
  rows.push_back(s.rstd);
  k.schedule = "layer_norm: " +
               scheduleRows(out, vars, extents, rows, s.sums, s.r, target);
  k.pipeline = Pipeline(out);
  return k;
}

HalideKernel buildLayerNormGrad(const KernelDesc &desc, const Target &target) {
  // With g = dy * weight (dy without one) and xhat = (x - mean) * rstd:
  //   dx = rstd * (g - mean(g) - xhat * mean(g * xhat))
  // the two means per position computed with the statistics.
  HalideKernel k;
  k.inputs = makeInputs(desc);
  const ImageParam &dy = k.inputs[0], &x = k.inputs[1];
  const bool weighted = desc.operands.size() == 3;
  const Dims &dims = desc.result;
  const std::vector<int> extents = internalExtents(dims);
  const int len = extents[0];
  const bool gpu = usesGpu(target);
  std::vector<Var> vars = makeVars(int(dims.size()) + 1);
  std::vector<Expr> args = asExprs(vars);
  RowStats s = rowStats(x, vars, len, desc.real, gpu);
  std::vector<Expr> row = asExprs(s.rowVars);
  std::vector<Expr> at = args;
  at[0] = s.r.x;
  auto g = [&](const std::vector<Expr> &p) {
    return weighted ? dy(p) * k.inputs[2](p[0]) : dy(p);
  };
  auto xhat = [&](const std::vector<Expr> &p) {
    return (x(p) - s.mean(row)) * s.rstd(row);
  };
  const float inv = 1.0f / float(len);
  std::vector<Func> sums = s.sums;
  Func sg = rowSum("ln_grad_sum", s.rowVars, g(at), gpu, sums);
  Func sgx = rowSum("ln_grad_dot", s.rowVars, g(at) * xhat(at), gpu, sums);
  Func out("out");
  out(vars) =
      s.rstd(row) * (g(args) - sg(row) * inv - xhat(args) * (sgx(row) * inv));
  pinOutput(out, dims);
  std::vector<Func> rows = sums;
  rows.push_back(s.mean);
  rows.push_back(s.rstd);
  if (gpu) {
    rows.push_back(sg);
    rows.push_back(sgx);
  }
  k.schedule = "layer_norm_grad: " +
               scheduleRows(out, vars, extents, rows, sums, s.r, target);
  k.pipeline = Pipeline(out);
  return k;
}

HalideKernel buildLayerNormGradWeight(const KernelDesc &desc,
                                      const Target &target) {
  // [D]: the sum over every position of dy * xhat. The statistics of every
  // position first (the whole batch), then partial sums per (feature, row)
  // in parallel, then a short sum of the partials per feature.
  HalideKernel k;
  k.inputs = makeInputs(desc);
  const ImageParam &dy = k.inputs[0], &x = k.inputs[1];
  const Dims &xd = desc.operands[1].dims;
  const std::vector<int> extents = internalExtents(xd);
  const int len = extents[0];
  const bool gpu = usesGpu(target);
  std::vector<Var> vars = makeVars(int(xd.size()) + 1);
  RowStats s = rowStats(x, vars, len, desc.real, gpu);
  // Positions: dim 1 (a row's pixels, or nothing for [N, D]) is summed in
  // the partials; the rest (rows and the batch) in the total.
  const bool positions = vars.size() > 2;
  const int inner = positions ? extents[1] : 1;
  std::vector<Var> partialVars = {vars[0]};
  partialVars.insert(partialVars.end(), vars.begin() + (positions ? 2 : 1),
                     vars.end());
  RDom rx(0, inner, "rx");
  std::vector<Expr> at = asExprs(vars), statAt = asExprs(s.rowVars);
  if (positions) {
    at[1] = rx.x;
    statAt[0] = rx.x;
  }
  Expr term = dy(at) * ((x(at) - s.mean(statAt)) * s.rstd(statAt));
  Func partial("partial");
  partial(partialVars) = 0.0f;
  partial(partialVars) += term;
  // The total over the rest: every outer dim and the run-time batch.
  Region ranges;
  for (size_t i = positions ? 2 : 1; i + 1 < vars.size(); ++i)
    ranges.push_back(Range(0, extents[i]));
  ranges.push_back(Range(0, x.dim(int(extents.size())).extent()));
  RDom rp(ranges, "rp");
  std::vector<Expr> partialAt = {vars[0]};
  for (int i = 0; i < rp.dimensions(); ++i)
    partialAt.push_back(rp[i]);
  Var d = vars[0];
  Func total("total"), out("out");
  total(d) = 0.0f;
  total(d) += partial(partialAt);
  out(d) = total(d);
  out.output_buffer().dim(0).set_bounds(0, len).set_stride(1);
  std::vector<Func> stats = s.sums;
  stats.push_back(s.mean);
  stats.push_back(s.rstd);
  if (gpu) {
    for (Func f : {s.mean, s.rstd}) {
      f.compute_root();
      scheduleGpuPointwise(f, s.rowVars);
    }
    // One thread per partial, its sum over the row in a register.
    partial.compute_root();
    scheduleGpuPointwise(partial, partialVars);
    Stage update = partial.update();
    Var fused = partialVars[0];
    for (size_t i = 1; i < partialVars.size(); ++i) {
      Var next("partial_fused" + std::to_string(i));
      update.fuse(fused, partialVars[i], next);
      fused = next;
    }
    update.gpu_tile(fused, Var("partial_block"), Var("partial_thread"), 256,
                    TailStrategy::GuardWithIf);
    k.schedule =
        "layer_norm_grad_weight: " + scheduleGpuReduction(out, total, {d}) +
        ", statistics and partial sums one thread each";
    k.pipeline = Pipeline(out);
    return k;
  }
  // CPU: statistics of every position at the root, in parallel over the
  // batch; partials in parallel over rows, vectorised over the features.
  // Contiguous features: a guarded last vector, as the channel reductions
  // of GradKernels.cpp have.
  int lanes = vectorWidth(target);
  while (lanes > len && lanes > 4)
    lanes /= 2;
  if (lanes > len)
    lanes = 1;
  const TailStrategy tail =
      len % std::max(lanes, 1) ? TailStrategy::GuardWithIf : TailStrategy::Auto;
  for (Func f : stats) {
    f.compute_root();
    f.parallel(s.rowVars.back());
  }
  for (Func f : s.sums)
    f.update().parallel(s.rowVars.back());
  partial.compute_root();
  if (positions)
    partial.update().reorder(partialVars[0], rx.x);
  partial.update().parallel(partialVars.back());
  total.compute_root();
  if (lanes > 1) {
    partial.vectorize(d, lanes, tail);
    partial.update().vectorize(d, lanes, tail);
    total.vectorize(d, lanes, tail);
    total.update().vectorize(d, lanes, tail);
  }
  k.schedule = "layer_norm_grad_weight: statistics per position, partial "
               "sums per row in parallel, vector " +
               std::to_string(lanes);
  k.pipeline = Pipeline(out);
  return k;
}

} // namespace codegen
} // namespace res
