// Kernels of the token ops (Transformers). A token tensor [N, T, D] is
// computed as an image of D channels, 1 row and T columns (logical dims
// [D, 1, T], see Lowering.cpp): its channels-innermost internal layout is
// [N, T, D] in C order, so dense layers on tokens are the 1x1 convolutions
// and layer norms over channels that images use, and `tokens` moves no
// data but the copy below. What is left is here: the copies between the
// views, the class token, the position embedding, selecting a token and
// the heads of attention (whose two projections are dense layers).
#include "compiler/codegen/Kernels.h"

using namespace Halide;

namespace res {
namespace codegen {

namespace {

/// The offset of internal coordinates `args` (batch excluded) in a dense
/// tensor of logical dims `dims`.
Expr flatIndex(const Dims &dims, const std::vector<Expr> &args) {
  std::vector<int> extents = internalExtents(dims);
  Expr flat = 0;
  for (int i = int(extents.size()) - 1; i >= 0; --i)
    flat = flat * extents[i] + args[i];
  return flat;
}

/// The internal coordinates (batch excluded) of offset `flat` in `dims`.
std::vector<Expr> coordinatesOf(const Dims &dims, Expr flat) {
  std::vector<int> extents = internalExtents(dims);
  std::vector<Expr> at;
  for (size_t i = 0; i < extents.size(); ++i) {
    at.push_back(i + 1 == extents.size() ? flat : flat % extents[i]);
    flat = flat / extents[i];
  }
  return at;
}

} // namespace

HalideKernel buildTokenKernel(const KernelDesc &desc, const Target &target) {
  HalideKernel k;
  k.inputs = makeInputs(desc);
  std::vector<Var> vars = makeVars(int(desc.result.size()) + 1);
  std::vector<Expr> args = asExprs(vars);
  const Expr n = args.back();
  const ImageParam &in = k.inputs[0];
  Func out("out");
  switch (desc.kind) {
  case KernelKind::TokenView: {
    // The same floats in the same order under other dims (an image as
    // tokens, a model's [N, T, D] input as the [D, 1, T] view and back).
    std::vector<Expr> own(args.begin(), args.end() - 1);
    std::vector<Expr> at =
        coordinatesOf(desc.operands[0].dims, flatIndex(desc.result, own));
    at.push_back(n);
    out(vars) = in(at);
    return finishPointwise(out, vars, std::move(k), desc.result, target,
                           "token_view:");
  }
  case KernelKind::ClassToken: {
    // (c, t, 0, n): the learned token (raw [1, 1, D], extents (D, 1, 1))
    // at t = 0, input token t - 1 after it.
    const Expr c = args[0], t = args[1];
    out(vars) =
        select(t == 0, k.inputs[1](c, 0, 0), in(c, max(t - 1, 0), args[2], n));
    return finishPointwise(out, vars, std::move(k), desc.result, target,
                           "class_token:");
  }
  case KernelKind::PosEmbedding: {
    // The embedding is raw [1, T, D]: extents (D, T, 1).
    out(vars) = in(args) + k.inputs[1](args[0], args[1], 0);
    return finishPointwise(out, vars, std::move(k), desc.result, target,
                           "pos_embedding:");
  }
  case KernelKind::TokenSelect: {
    // [D, 1, T] -> [D]: (d, n) reads token `offset`.
    out(vars) = in(args[0], int(desc.offset), 0, n);
    return finishPointwise(out, vars, std::move(k), desc.result, target,
                           "token:");
  }
  default:
    throw CompileError("not a token kernel");
  }
}

HalideKernel buildAttentionHeads(const KernelDesc &desc, const Target &target) {
  // qkv is [3D, 1, T] (q, k, v of token t side by side in its channels),
  // the result [D, 1, T]. Per head h of e = D / heads features:
  //   s(u, t) = q_t . k_u / sqrt(e),  p = exp(s - max_u s),
  //   out(h e + j, t) = sum_u p(u, t) v_u(j) / sum_u p(u, t).
  // The scores exist for one head and one block of queries at a time, so
  // memory grows with T, not T^2: a row of T scores per query of the block.
  HalideKernel k;
  k.inputs = makeInputs(desc);
  const ImageParam &qkv = k.inputs[0];
  const int d = int(desc.result[0]), t = int(desc.result[2]);
  const int heads = int(desc.groups), e = d / heads;
  const float scale = 1.0f / std::sqrt(float(e));
  Var c("c"), x("x"), y("y"), n("n"), u("u"), h("h"), j("j");
  RDom rj(0, e, "rj"), ru(0, t, "ru");

  // Queries transposed and scaled, (x, j, h, n): the score tile below is a
  // vector of queries times a few keys, so queries are the contiguous dim
  // and each key feature a broadcast scalar.
  Func queries("queries");
  queries(x, j, h, n) = qkv(h * e + j, x, 0, n) * scale;
  Func dot("dot"), scores("scores");
  dot(x, u, h, n) = 0.0f;
  dot(x, u, h, n) += queries(x, rj, h, n) * qkv(d + h * e + rj, u, 0, n);
  scores(x, u, h, n) = dot(x, u, h, n);
  // The row maxima and sums as explicit updates (an inline reduction would
  // not vectorise across the block's queries), read through pure wrappers.
  Func runningMax("running_max"), peak("peak"), weights("weights");
  runningMax(x, h, n) = Float(32).min();
  runningMax(x, h, n) = max(runningMax(x, h, n), scores(x, ru, h, n));
  peak(x, h, n) = runningMax(x, h, n);
  weights(x, u, h, n) = exp(scores(x, u, h, n) - peak(x, h, n));
  Func runningSum("running_sum"), total("total");
  runningSum(x, h, n) = 0.0f;
  runningSum(x, h, n) += weights(x, ru, h, n);
  total(x, h, n) = runningSum(x, h, n);
  Func acc("acc"), heads_out("heads_out");
  acc(j, x, h, n) = 0.0f;
  acc(j, x, h, n) += weights(x, ru, h, n) * qkv(2 * d + h * e + j, ru, 0, n);
  heads_out(j, x, h, n) = acc(j, x, h, n) / total(x, h, n);
  Func out("out");
  out(c, x, y, n) = heads_out(c % e, x, c / e, n);
  pinOutput(out, desc.result);

  if (usesGpu(target)) {
    // Each stage its own kernel, one thread per value and its reduction
    // in that thread (no shared memory tiling yet).
    for (Func f : {queries, scores, peak, weights, total, heads_out})
      f.compute_root();
    scheduleGpuPointwise(queries, {x, j, h, n});
    scheduleGpuReduction(scores, dot, {x, u, h, n});
    scheduleGpuReduction(peak, runningMax, {x, h, n});
    scheduleGpuReduction(total, runningSum, {x, h, n});
    scheduleGpuPointwise(weights, {x, u, h, n});
    scheduleGpuReduction(heads_out, acc, {j, x, h, n});
    k.schedule = "attention_heads: " +
                 scheduleGpuPointwise(out, {c, x, y, n}).description +
                 ", every stage a kernel";
    k.pipeline = Pipeline(out);
    return k;
  }
  // CPU: a task is a block of `block` queries (a vector) of one image, and
  // loops over the heads; each head's scores are block x T. The two
  // products are register tiles: scores a vector of queries times `keys`
  // keys (per key feature a vector load and `keys` broadcasts), the
  // weighted sum of values a vector of value features times the block's
  // queries (per key a vector load and `block` broadcasts of weights).
  // The reductions over keys (max, sum) run across the block's queries, a
  // vector. On an Intel Xeon with AVX-512, one thread, this took
  // ViT-B/16's heads from 13 to 84 GFLOP/s (9.2 to 1.4 ms a layer) and its
  // forward pass from 348 to 251 ms, against a schedule that transposed the
  // keys in every task and summed rows one query at a time
  // (docs/performance.md).
  const int width = vectorWidth(target);
  const int block = std::min(t, width);
  const int keys = std::min(t, 8);
  const int lanes = std::min(e, width);
  Var xo("xo"), xi("xi"), ch("ch"), cj("cj"), uo("uo"), ui("ui"), jo("jo"),
      ji("ji");
  out.split(x, xo, xi, block, TailStrategy::ShiftInwards)
      .split(c, ch, cj, e)
      .reorder(cj, xi, ch, y, xo, n)
      .fuse(xo, n, xo)
      .parallel(xo)
      .vectorize(cj, lanes, TailStrategy::ShiftInwards);
  for (Func f : {queries, scores, runningMax, weights, runningSum, heads_out})
    f.compute_at(out, ch);
  queries.vectorize(x, block);
  scores.split(u, uo, ui, keys, TailStrategy::ShiftInwards)
      .reorder(x, ui, uo, h, n)
      .vectorize(x, block)
      .unroll(ui);
  dot.compute_at(scores, uo).vectorize(x, block).unroll(u, keys);
  dot.update().reorder(x, u, rj).vectorize(x, block).unroll(u, keys);
  for (Func f : {runningMax, runningSum}) {
    f.vectorize(x, block);
    f.update().reorder(x, ru).vectorize(x, block);
  }
  weights.vectorize(x, block);
  heads_out.split(j, jo, ji, lanes, TailStrategy::ShiftInwards)
      .reorder(ji, x, jo, h, n)
      .vectorize(ji)
      .unroll(x, block);
  acc.compute_at(heads_out, jo).vectorize(j, lanes).unroll(x, block);
  acc.update().reorder(j, x, ru).vectorize(j, lanes).unroll(x, block);
  k.schedule = "attention_heads: " + std::to_string(block) +
               " queries per task, tiles of " + std::to_string(keys) +
               " keys and " + std::to_string(lanes) + " value features";
  k.pipeline = Pipeline(out);
  return k;
}

} // namespace codegen
} // namespace res
