// The gradient kernels of the token ops (TokenKernels.cpp): token tensors
// are [D, 1, T] images here too. tokens' gradient is a TokenView (the same
// memory as the image); the class token's input gradient drops token 0; the
// class token's and the position embedding's gradients sum tokens over the
// batch; token(i)'s puts its vector back among zeros; the heads' gradient
// recomputes the attention probabilities from q and k instead of keeping
// them from the forward pass.
#include "compiler/codegen/Kernels.h"

using namespace Halide;

namespace res {
namespace codegen {

HalideKernel buildTokenGrad(const KernelDesc &desc, const Target &target) {
  HalideKernel k;
  k.inputs = makeInputs(desc);
  const ImageParam &dy = k.inputs[0];
  switch (desc.kind) {
  case KernelKind::ClassTokenGrad: {
    std::vector<Var> vars = makeVars(4);
    const Var &c = vars[0], &t = vars[1], &y = vars[2], &n = vars[3];
    Func out("out");
    out(c, t, y, n) = dy(c, t + 1, y, n);
    return finishPointwise(out, vars, std::move(k), desc.result, target,
                           "class_token_grad:");
  }
  case KernelKind::TokenScatter: {
    // dy [D] (d, n) into token `offset` of [D, 1, T].
    std::vector<Var> vars = makeVars(4);
    const Var &c = vars[0], &t = vars[1], &n = vars[3];
    Func out("out");
    out(vars) = select(t == int(desc.offset), dy(c, n), 0.0f);
    return finishPointwise(out, vars, std::move(k), desc.result, target,
                           "token_grad:");
  }
  case KernelKind::TokenBatchSum: {
    // The result [1, count, D] has Halide dims (D, count, 1); dy is
    // [D, 1, T] batched. One sum per feature and token, over the batch.
    Var c("c"), t("t"), z("z");
    RDom rn(0, dy.dim(3).extent(), "rn");
    Func out("out");
    out(c, t, z) = sum(dy(c, t, 0, rn));
    Dims result = desc.result; // C order [1, count, D]
    int stride = 1;
    for (int i = 0; i < 3; ++i) {
      int extent = int(result[2 - i]);
      out.output_buffer().dim(i).set_bounds(0, extent).set_stride(stride);
      stride *= extent;
    }
    if (usesGpu(target)) {
      k.schedule = "token_batch_sum: " +
                   scheduleGpuPointwise(out, {c, t, z}).description;
    } else {
      // Serial: K x D x N additions, a few microseconds for a ViT-B
      // position embedding at batch 64.
      const int width = vectorWidth(target);
      out.vectorize(c, width, TailStrategy::GuardWithIf);
      k.schedule = "token_batch_sum: serial, vector " + std::to_string(width);
    }
    k.pipeline = Pipeline(out);
    return k;
  }
  default:
    throw CompileError("not a token gradient kernel");
  }
}

HalideKernel buildAttentionHeadsGrad(const KernelDesc &desc,
                                     const Target &target) {
  // dy [D, 1, T] and qkv [3D, 1, T] give dqkv [3D, 1, T]. Per head (e
  // features) and image, with P the recomputed probabilities:
  //   dP(u, t) = dO_t . v_u,  delta_t = sum_u P dP,  dS = P (dP - delta),
  //   dq_t = s sum_u dS(u, t) k_u,  dk_u = s sum_t dS(u, t) q_t,
  //   dv_u = sum_t P(u, t) dO_t.
  // P and dS are T x T per head, kept for one head at a time; the
  // backward pass stores nothing of the forward but qkv.
  HalideKernel k;
  k.inputs = makeInputs(desc);
  const ImageParam &dy = k.inputs[0], &qkv = k.inputs[1];
  const int d = int(desc.result[0]) / 3, t = int(desc.result[2]);
  const int heads = int(desc.groups), e = d / heads;
  const float scale = 1.0f / std::sqrt(float(e));
  Var c("c"), x("x"), y("y"), n("n"), u("u"), h("h"), j("j");
  auto q = [&](Expr jj, Expr tt, Expr hh, Expr nn) {
    return qkv(hh * e + jj, tt, 0, nn);
  };
  auto key = [&](Expr jj, Expr uu, Expr hh, Expr nn) {
    return qkv(d + hh * e + jj, uu, 0, nn);
  };
  auto value = [&](Expr jj, Expr uu, Expr hh, Expr nn) {
    return qkv(2 * d + hh * e + jj, uu, 0, nn);
  };
  auto grad = [&](Expr jj, Expr tt, Expr hh, Expr nn) {
    return dy(hh * e + jj, tt, 0, nn);
  };
  RDom rj(0, e, "rj"), ru(0, t, "ru");
  // Keys and values transposed, (u, j, h, n): the score rows below are
  // vectors over keys, which in qkv are 3D floats apart (a gather per
  // vector). On an Intel Xeon (AVX-512) transformer_encoder's heads'
  // gradient at T = 1024, batch 2, went from 830 to 195 ms a call.
  Func keysT("keys_t"), valuesT("values_t");
  keysT(u, j, h, n) = key(j, u, h, n);
  valuesT(u, j, h, n) = value(j, u, h, n);
  Func scores("scores"), peak("peak"), weights("weights"), total("total");
  scores(u, x, h, n) = 0.0f;
  scores(u, x, h, n) += q(rj, x, h, n) * keysT(u, rj, h, n) * scale;
  peak(x, h, n) = maximum(scores(ru, x, h, n));
  weights(u, x, h, n) = exp(scores(u, x, h, n) - peak(x, h, n));
  total(x, h, n) = sum(weights(ru, x, h, n));
  Func prob("prob"), dprob("dprob"), delta("delta"), dscore("dscore");
  prob(u, x, h, n) = weights(u, x, h, n) / total(x, h, n);
  dprob(u, x, h, n) = 0.0f;
  dprob(u, x, h, n) += grad(rj, x, h, n) * valuesT(u, rj, h, n);
  delta(x, h, n) = sum(prob(ru, x, h, n) * dprob(ru, x, h, n));
  dscore(u, x, h, n) = prob(u, x, h, n) * (dprob(u, x, h, n) - delta(x, h, n));
  Func dq("dq"), dk("dk"), dv("dv");
  dq(j, x, h, n) = 0.0f;
  dq(j, x, h, n) += dscore(ru, x, h, n) * key(j, ru, h, n) * scale;
  dk(j, u, h, n) = 0.0f;
  dk(j, u, h, n) += dscore(u, ru, h, n) * q(j, ru, h, n) * scale;
  dv(j, u, h, n) = 0.0f;
  dv(j, u, h, n) += prob(u, ru, h, n) * grad(j, ru, h, n);
  // The three gradients side by side, (j, t, third, h, n): a pure var for
  // the third and the head, so that the head loop below bounds every stage
  // to one head.
  Var third("third");
  Func grads("grads");
  grads(j, x, third, h, n) = select(third == 0, dq(j, x, h, n), third == 1,
                                    dk(j, x, h, n), dv(j, x, h, n));
  Func out("out");
  out(c, x, y, n) = grads(c % e, x, c / d, (c % d) / e, n);
  pinOutput(out, desc.result);

  std::vector<Func> stages = {keysT, valuesT, scores, peak, total, prob,
                              dprob, delta,   dscore, dq,   dk,    dv};
  if (usesGpu(target)) {
    for (Func f : stages)
      f.compute_root();
    for (Func f : {keysT, valuesT})
      scheduleGpuPointwise(f, {u, j, h, n});
    for (Func f : {scores, prob, dprob, dscore})
      scheduleGpuPointwise(f, {u, x, h, n});
    for (Func f : {peak, total, delta})
      scheduleGpuPointwise(f, {x, h, n});
    scheduleGpuPointwise(dq, {j, x, h, n});
    for (Func f : {dk, dv})
      scheduleGpuPointwise(f, {j, u, h, n});
    k.schedule = "attention_heads_grad: " +
                 scheduleGpuPointwise(out, {c, x, y, n}).description +
                 ", every stage a kernel";
    k.pipeline = Pipeline(out);
    return k;
  }
  // CPU: one image per task, and in it one head per task: the T x T
  // stages exist for one head at a time (memory per image divided by the
  // heads) and a batch of 1 still gives as many tasks as heads.
  const int width = vectorWidth(target);
  out.parallel(n).vectorize(c, width, TailStrategy::GuardWithIf);
  grads.compute_at(out, n)
      .reorder(j, x, third, h, n)
      .parallel(h)
      .vectorize(j, std::min(width, e), TailStrategy::GuardWithIf);
  for (Func f : stages)
    f.compute_at(grads, h);
  for (Func f : {keysT, valuesT, scores, prob, dprob, dscore})
    f.vectorize(u, width, TailStrategy::GuardWithIf);
  for (Func f : {scores, dprob})
    f.update()
        .reorder(u, rj, x, h)
        .vectorize(u, width, TailStrategy::GuardWithIf);
  const int lanes = std::min(width, e);
  for (Func f : {dq, dk, dv})
    f.vectorize(j, lanes, TailStrategy::GuardWithIf)
        .update()
        .vectorize(j, lanes, TailStrategy::GuardWithIf);
  // dk and dv sum over queries a column of dS and P, which are stored by
  // rows: with the queries outermost each step reads a row. Innermost, the
  // sum walked the column, a cache line per term (transformer_encoder at T
  // = 1024, batch 2, on an Intel Xeon: 970 to 830 ms a call).
  for (Func f : {dk, dv})
    f.update().reorder(j, u, ru);
  k.schedule = "attention_heads_grad: a head of an image per task, "
               "probabilities recomputed";
  k.pipeline = Pipeline(out);
  return k;
}

} // namespace codegen
} // namespace res
