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
  // The scores exist for one block of queries at a time (computed at the
  // query block's loop), so memory grows with T, not T^2.
  HalideKernel k;
  k.inputs = makeInputs(desc);
  const ImageParam &qkv = k.inputs[0];
  const int d = int(desc.result[0]), t = int(desc.result[2]);
  const int heads = int(desc.groups), e = d / heads;
  const float scale = 1.0f / std::sqrt(float(e));
  Var c("c"), x("x"), y("y"), n("n"), u("u"), h("h"), j("j");

  // Keys transposed, (u, j, h, n): the score loop runs over keys, which
  // are then contiguous.
  Func keys("keys");
  keys(u, j, h, n) = qkv(d + h * e + j, u, 0, n);
  RDom rj(0, e, "rj");
  Func scores("scores");
  scores(u, x, h, n) = 0.0f;
  scores(u, x, h, n) += qkv(h * e + rj, x, 0, n) * scale * keys(u, rj, h, n);
  RDom ru(0, t, "ru");
  Func peak("peak"), weights("weights"), total("total"), acc("acc");
  peak(x, h, n) = maximum(scores(ru, x, h, n));
  weights(u, x, h, n) = exp(scores(u, x, h, n) - peak(x, h, n));
  total(x, h, n) = sum(weights(ru, x, h, n));
  acc(j, x, h, n) = 0.0f;
  acc(j, x, h, n) += weights(ru, x, h, n) * qkv(2 * d + h * e + j, ru, 0, n);
  Func out("out");
  out(c, x, y, n) = acc(c % e, x, c / e, n) / total(x, c / e, n);
  pinOutput(out, desc.result);

  if (usesGpu(target)) {
    // Each stage its own kernel, one thread per value (no shared memory
    // tiling yet).
    for (Func f : {keys, scores, peak, weights, total, acc})
      f.compute_root();
    scheduleGpuPointwise(keys, {u, j, h, n});
    scheduleGpuPointwise(scores, {u, x, h, n});
    scheduleGpuPointwise(peak, {x, h, n});
    scheduleGpuPointwise(weights, {u, x, h, n});
    scheduleGpuPointwise(total, {x, h, n});
    scheduleGpuPointwise(acc, {j, x, h, n});
    k.schedule = "attention_heads: " +
                 scheduleGpuPointwise(out, {c, x, y, n}).description +
                 ", every stage a kernel";
    k.pipeline = Pipeline(out);
    return k;
  }
  // CPU: tasks of `block` queries of one image; the keys are transposed
  // once per image. Per block, each head's scores (block x T), weights and
  // sums live in the task.
  const int block = std::min(t, 8);
  const int width = vectorWidth(target);
  Var xo("xo"), xi("xi");
  out.split(x, xo, xi, block, TailStrategy::GuardWithIf)
      .reorder(c, xi, y, xo, n)
      .fuse(xo, n, xo)
      .parallel(xo);
  // Every block reads all keys, so each task transposes them again: T x D
  // copies next to the block's block x T x D multiply-adds of its scores.
  keys.compute_at(out, xo).vectorize(u, width, TailStrategy::GuardWithIf);
  scores.compute_at(out, xo).vectorize(u, width, TailStrategy::GuardWithIf);
  scores.update()
      .reorder(u, rj, x, h)
      .vectorize(u, width, TailStrategy::GuardWithIf);
  weights.compute_at(out, xo).vectorize(u, width, TailStrategy::GuardWithIf);
  peak.compute_at(out, xo);
  total.compute_at(out, xo);
  acc.compute_at(out, xo).vectorize(j, std::min(width, e),
                                    TailStrategy::GuardWithIf);
  acc.update()
      .reorder(j, ru, x, h)
      .vectorize(j, std::min(width, e), TailStrategy::GuardWithIf);
  k.schedule = "attention_heads: " + std::to_string(block) +
               " queries per task, scores per head and block";
  k.pipeline = Pipeline(out);
  return k;
}

} // namespace codegen
} // namespace res
