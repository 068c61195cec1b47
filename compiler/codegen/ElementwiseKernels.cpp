// Kernels that move data or apply a pointwise function: fused elementwise
// chains (batch norm that could not be folded, activations, adds and
// residual sums not absorbed by a producer), upsampling, channel concat,
// flatten, the layout conversions at the model's boundary, and softmax.
//
// All of them are memory-bound one-pass loops over the output, so they share
// one schedule (schedulePointwise): the contiguous innermost dim vectorised,
// every other dim fused with the batch into parallel chunks. Their inputs
// are read directly (inlined), never staged.
#include "compiler/codegen/Kernels.h"

using namespace Halide;

namespace res {
namespace codegen {

namespace {

/// The internal coordinates (batch last) of the logical index `logical`
/// ([c, h, w] or [d1, ...], batch excluded) of a tensor with dims `dims`.
std::vector<Expr> internalArgs(const Dims &dims,
                               const std::vector<Expr> &logical, Expr n) {
  std::vector<Expr> args;
  if (dims.size() == 3)
    args = {logical[0], logical[2], logical[1]};
  else
    args.assign(logical.rbegin(), logical.rend());
  args.push_back(n);
  return args;
}

/// The inverse: logical indices of internal coordinates `args`.
std::vector<Expr> logicalArgs(const Dims &dims, const std::vector<Expr> &args) {
  if (dims.size() == 3)
    return {args[0], args[2], args[1]};
  std::vector<Expr> logical(args.begin(), args.begin() + dims.size());
  std::reverse(logical.begin(), logical.end());
  return logical;
}

} // namespace

HalideKernel buildElementwise(const KernelDesc &desc, const Target &target) {
  HalideKernel k;
  k.inputs = makeInputs(desc);
  std::vector<Var> vars = makeVars(int(desc.result.size()) + 1);
  std::vector<Expr> args = asExprs(vars);
  Func out("out");
  out(vars) =
      applyEpilogue(k.inputs[0](args), desc, k.inputs, args, desc.result);
  return finishPointwise(out, vars, std::move(k), desc.result, target,
                         "elementwise:");
}

HalideKernel buildDataMovement(const KernelDesc &desc, const Target &target) {
  HalideKernel k;
  k.inputs = makeInputs(desc);
  const int rank = int(desc.result.size());
  std::vector<Var> vars = makeVars(rank + 1);
  std::vector<Expr> args = asExprs(vars);
  Expr n = args.back();
  Func out("out");

  switch (desc.kind) {
  case KernelKind::Upsample: {
    // Nearest: out[h][w] = in[h / f][w / f]; channels stay contiguous.
    std::vector<Expr> at = args;
    int f = int(desc.factor);
    at[1] = at[1] / f;
    at[2] = at[2] / f;
    out(vars) = k.inputs[0](at);
    return finishPointwise(out, vars, std::move(k), desc.result, target,
                           "upsample:");
  }
  case KernelKind::Concat: {
    // On channels: the first C1 from lhs, the rest from rhs. Both loads are
    // clamped in range; the select picks one.
    const int ch = channelIndex(desc.result);
    const int c1 = int(desc.operands[0].dims[0]);
    const int c2 = int(desc.operands[1].dims[0]);
    std::vector<Expr> a = args, b = args;
    a[ch] = min(args[ch], c1 - 1);
    b[ch] = clamp(args[ch] - c1, 0, c2 - 1);
    out(vars) = select(args[ch] < c1, k.inputs[0](a), k.inputs[1](b));
    return finishPointwise(out, vars, std::move(k), desc.result, target,
                           "concat:");
  }
  case KernelKind::Flatten: {
    // [N, d1, d2, ...] -> [N, d1*d2*...] in C order: decompose the flat
    // index into the logical index of the input.
    const Dims &in = desc.operands[0].dims;
    Expr f = args[0];
    std::vector<Expr> logical(in.size());
    for (int i = int(in.size()) - 1; i >= 0; --i) {
      logical[i] = i == 0 ? f : f % int(in[i]);
      f = f / int(in[i]);
    }
    out(vars) = k.inputs[0](internalArgs(in, logical, n));
    return finishPointwise(out, vars, std::move(k), desc.result, target,
                           "flatten:");
  }
  case KernelKind::ToInternal:
  case KernelKind::FromInternal: {
    // The model's buffers are C order (Halide dims reversed); only 4-D
    // tensors differ from the internal layout.
    const Dims &dims = desc.result;
    std::vector<Expr> logical;
    std::vector<Expr> cOrderArgs;
    if (desc.kind == KernelKind::ToInternal) {
      logical = logicalArgs(dims, args);
      cOrderArgs.assign(logical.rbegin(), logical.rend());
      cOrderArgs.push_back(n);
      out(vars) = k.inputs[0](cOrderArgs);
      // The output's extents are internal; the input's are C order.
      pinOutput(out, dims);
      k.schedule = "to_internal: " +
                   schedulePointwise(out, vars, internalExtents(dims), target);
    } else {
      // Output in C order: vars are reversed logical dims.
      logical.assign(args.rbegin() + 1, args.rend());
      out(vars) = k.inputs[0](internalArgs(dims, logical, n));
      std::vector<int> extents(dims.rbegin(), dims.rend());
      int stride = 1;
      for (size_t i = 0; i < extents.size(); ++i) {
        out.output_buffer()
            .dim(int(i))
            .set_bounds(0, extents[i])
            .set_stride(stride);
        stride *= extents[i];
      }
      out.output_buffer()
          .dim(int(extents.size()))
          .set_min(0)
          .set_stride(stride);
      k.schedule =
          "from_internal: " + schedulePointwise(out, vars, extents, target);
    }
    k.pipeline = Pipeline(out);
    return k;
  }
  default:
    break;
  }
  throw CompileError(std::string("not a data movement kernel: ") +
                     kindName(desc.kind));
  return k;
}

HalideKernel buildSoftmax(const KernelDesc &desc, const Target &target) {
  // Over the last logical dim (W of a 4-D tensor, the features of [N, F]),
  // shifted by the maximum so that large logits do not overflow:
  //   m = max_j x_j;  e_j = exp(x_j - m);  out_j = e_j / sum_j e_j
  // m and the sum are computed per row at the batch loop; e is recomputed
  // in the two passes rather than stored (exp is cheap next to a store).
  HalideKernel k;
  k.inputs.push_back(makeInput(desc.operands[0], "in0"));
  const Dims &dims = desc.result;
  const int rank = int(dims.size());
  const int d = rank == 3 ? 1 : 0; // the Halide dim of the last logical dim
  const int extent = internalExtents(dims)[d];
  std::vector<Var> vars = makeVars(rank + 1);
  std::vector<Expr> args = asExprs(vars);

  // Row functions: every var but the softmax one.
  std::vector<Var> rowVars;
  for (int i = 0; i <= rank; ++i)
    if (i != d)
      rowVars.push_back(vars[i]);
  RDom r(0, extent, "r");
  std::vector<Expr> at = args;
  at[d] = r.x;
  Func mx("row_max"), sum("row_sum"), out("out");
  mx(rowVars) = maximum(k.inputs[0](at));
  std::vector<Expr> rowArgs = asExprs(rowVars);
  sum(rowVars) = Halide::sum(exp(k.inputs[0](at) - mx(rowArgs)));
  out(vars) = exp(k.inputs[0](args) - mx(rowArgs)) / sum(rowArgs);
  pinOutput(out, dims);
  if (usesGpu(target)) {
    // The row statistics first, one thread per row, then one per element.
    mx.compute_root();
    sum.compute_root();
    scheduleGpuPointwise(mx, rowVars);
    scheduleGpuPointwise(sum, rowVars);
    k.schedule = "softmax: " + scheduleGpuPointwise(out, vars).description;
    k.pipeline = Pipeline(out);
    return k;
  }
  Var n = vars.back();
  out.parallel(n);
  mx.compute_at(out, n);
  sum.compute_at(out, n);
  int width = 1;
  if (d == 0)
    width = vectorizeInner(out, vars[0], extent, target);
  k.schedule =
      "softmax: rows at the batch loop, vector " + std::to_string(width);
  k.pipeline = Pipeline(out);
  return k;
}

} // namespace codegen
} // namespace res
