// Fully connected layer with its fused epilogue.
//
//   acc(o, n)  = bias(o)                       (BN folded in when it follows)
//   acc(o, n) += w(o, r) * x(r, n)             w packed [in][out]: o innermost
//   out(o, n)  = epilogue(acc(o, n))
//
// At batch 1 this is a matrix-vector product, bound by reading the weights
// once; the schedule streams them in contiguous vectors of output features
// (a block of up to 4 vectors per task, one broadcast of x(r) per block
// row) and splits the output features across threads. `acc` is computed at
// the block (compute_at(out, oo)) so its vectors stay in registers, and the
// epilogue is the pure definition of `out`, applied as the block is stored.
#include "compiler/codegen/Kernels.h"

using namespace Halide;

namespace res {
namespace codegen {

HalideKernel buildDense(const KernelDesc &desc, const Target &target) {
  const int I = int(desc.operands[0].dims[0]);
  const int O = int(desc.result[0]);

  HalideKernel k;
  k.inputs = makeInputs(desc);
  ImageParam &input = k.inputs[0], &weight = k.inputs[1], &bias = k.inputs[2];

  Var o("o"), n("n");
  RDom r(0, I, "r");
  Func acc("acc");
  acc(o, n) = bias(o);
  acc(o, n) += weight(o, r) * input(r, n);
  Func out("out");
  out(o, n) = applyEpilogue(acc(o, n), desc, k.inputs, {o, n}, desc.result);
  pinOutput(out, desc.result);

  // Full-width vectors even when the vector width does not divide the
  // outputs (1000 classes): the last block is shifted inwards and
  // recomputes a few outputs instead of running a narrower loop.
  int lanes = vectorWidth(target);
  while (lanes > O && lanes > 4)
    lanes /= 2;
  if (usesGpu(target)) {
    k.schedule = "dense: " + scheduleGpuReduction(out, acc, {o, n});
  } else if (O >= lanes && lanes >= 4) {
    int block = 1;
    for (int cand : {4, 2})
      if (cand * lanes <= O) {
        block = cand;
        break;
      }
    const int to = block * lanes;
    Var oo("oo"), ov("ov"), t("t");
    out.split(o, oo, ov, to, TailStrategy::ShiftInwards)
        .reorder(ov, oo, n)
        .vectorize(ov, lanes)
        .unroll(ov)
        .fuse(oo, n, t)
        .parallel(t);
    acc.compute_at(out, t).vectorize(o, lanes).unroll(o);
    acc.update().reorder(o, n, r).vectorize(o, lanes).unroll(o);
    k.schedule = "dense: block " + std::to_string(to) + " outputs, vector " +
                 std::to_string(lanes);
  } else {
    // Fewer than 4 outputs: one row per task.
    acc.compute_at(out, n);
    out.parallel(n);
    k.schedule = "dense: scalar, " + std::to_string(O) + " outputs";
  }
  k.pipeline = Pipeline(out);
  return k;
}

} // namespace codegen
} // namespace res
