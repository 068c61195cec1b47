#include "compiler/codegen/PlanPrinter.h"
#include "compiler/codegen/HalideErrors.h"
#include "compiler/codegen/Kernels.h"

#include "dialect/ResDialect.h"

#include "llvm/Support/Format.h"

#include <map>

using namespace mlir;

namespace res {
namespace codegen {

namespace {

void printDims(llvm::raw_ostream &os, const Dims &dims) {
  os << '[';
  for (size_t i = 0; i < dims.size(); ++i)
    os << (i ? ", " : "") << dims[i];
  os << ']';
}

const char *recipeName(PackRecipe::Kind kind) {
  switch (kind) {
  case PackRecipe::ConvWeight:
    return "conv_weight";
  case PackRecipe::DenseWeight:
    return "dense_weight";
  case PackRecipe::Bias:
    return "bias";
  case PackRecipe::BatchNormScale:
    return "bn_scale";
  case PackRecipe::BatchNormShift:
    return "bn_shift";
  case PackRecipe::Raw:
    return "raw";
  case PackRecipe::WinogradWeight:
    return "winograd_weight";
  }
  return "?";
}

/// "conv 3x3 stride 2 pad 1 [64, 56, 56] -> [128, 28, 28], epilogue: bn
/// scale/shift (operands 3, 4), relu": what the kernel computes.
void printKernel(llvm::raw_ostream &os, const KernelDesc &k) {
  os << kindName(k.kind);
  if (k.hasWindow()) {
    os << ' ' << k.kernel[0] << 'x' << k.kernel[1];
    if (k.stride[0] != 1 || k.stride[1] != 1)
      os << " stride " << k.stride[0] << ',' << k.stride[1];
    if (k.padding[0] || k.padding[1])
      os << " pad " << k.padding[0] << ',' << k.padding[1];
    if (k.dilation[0] != 1 || k.dilation[1] != 1)
      os << " dilation " << k.dilation[0] << ',' << k.dilation[1];
    if (k.groups != 1)
      os << " groups " << k.groups;
  }
  os << ' ';
  printDims(os, k.operands.empty() ? Dims{} : k.operands[0].dims);
  os << " -> ";
  printDims(os, k.result);
  if (!k.resultBatched)
    os << " unbatched";
  if (k.kind == KernelKind::Conv)
    os << (k.winograd ? ", winograd F(2x2,3x3)" : ", direct");
  if (k.kind == KernelKind::LayerNorm)
    os << ", eps " << llvm::format("%g", k.real)
       << (k.affine ? ", affine" : ", no affine");
  if (k.kind == KernelKind::AttentionHeads ||
      k.kind == KernelKind::AttentionHeadsGrad)
    os << ", " << k.groups << " heads";
  if (k.kind == KernelKind::TokenSelect || k.kind == KernelKind::TokenScatter)
    os << ", token " << k.offset;
  if (k.inPlaceOperand >= 0)
    os << ", in place over operand " << k.inPlaceOperand;
  if (k.epilogue.empty())
    return;
  os << ", epilogue:";
  for (const EpilogueStage &s : k.epilogue) {
    switch (s.kind) {
    case EpilogueStage::Affine:
      os << " scale/shift(operands " << s.operand << ", " << s.operand + 1
         << ')';
      break;
    case EpilogueStage::Act:
      os << ' ' << stringifyActivation(s.act);
      break;
    case EpilogueStage::Combine:
      os << " add(operand " << s.operand;
      if (s.selfScale != 1 || s.otherScale != 1)
        os << ", " << llvm::format("%g", s.selfScale) << " * self + "
           << llvm::format("%g", s.otherScale) << " * operand";
      os << ')';
      break;
    case EpilogueStage::Gate:
      os << " gate(operand " << s.operand << ')';
      break;
    case EpilogueStage::ChannelScale:
      os << " scale(operand " << s.operand << ')';
      break;
    }
    os << (&s == &k.epilogue.back() ? "" : ",");
  }
}

void printSlot(llvm::raw_ostream &os, const Plan &plan, size_t i,
               func::FuncOp fn) {
  const Slot &s = plan.slots[i];
  os << "  %" << i << " = ";
  switch (s.kind) {
  case Slot::Activation:
    if (!s.batched)
      os << "own";
    else
      os << "arena @" << s.offset;
    break;
  case Slot::Param: {
    const PackRecipe &r = plan.params[s.index];
    os << "param " << recipeName(r.kind);
    const std::string &name = r.kind == PackRecipe::Bias ? r.bias : r.weight;
    if (!name.empty())
      os << " '" << name << "'";
    else if (r.kind == PackRecipe::Bias)
      os << " (none)";
    if (r.batchNorm) {
      // The norm by its layer: its parameters are LAYER.weight, ...
      llvm::StringRef bn(r.batchNorm->weight);
      bn.consume_back(".weight");
      const bool own = r.kind == PackRecipe::BatchNormScale ||
                       r.kind == PackRecipe::BatchNormShift;
      os << (own ? " of bn '" : " folding bn '") << bn << "'";
    }
    break;
  }
  case Slot::Input: {
    os << "input " << s.index;
    if (auto name = fn.getArgAttrOfType<StringAttr>(s.index, kNameAttr))
      os << " '" << name.getValue() << "'";
    break;
  }
  case Slot::Output: {
    os << "output " << s.index;
    if (auto name = fn.getResultAttrOfType<StringAttr>(s.index, kNameAttr))
      os << " '" << name.getValue() << "'";
    break;
  }
  case Slot::LoopResult:
    os << "loop result";
    break;
  }
  os << ' ';
  printDims(os, s.dims);
  os << '\n';
}

void printSteps(llvm::raw_ostream &os, const std::vector<Step> &steps,
                int depth) {
  const std::string indent(2 * size_t(depth + 1), ' ');
  for (const Step &s : steps) {
    if (s.kind == Step::Loop) {
      os << indent << "%" << s.result << " = loop " << s.count
         << " times from %" << s.input << " (reads %" << s.arg << ", writes %"
         << s.yield << ") {\n";
      printSteps(os, s.body, depth + 1);
      os << indent << "}\n";
      continue;
    }
    os << indent << "%" << s.result << " = k" << s.kernel << '(';
    for (size_t i = 0; i < s.operands.size(); ++i)
      os << (i ? ", " : "") << '%' << s.operands[i];
    os << ')';
    if (!s.layer.empty())
      os << " '" << s.layer << "'";
    os << '\n';
  }
}

} // namespace

LogicalResult printPlan(func::FuncOp fn, const Plan &plan,
                        const Halide::Target &target, llvm::raw_ostream &os) {
  ensureRecoverableHalideErrors();
  os << "plan @" << fn.getName() << " for " << target.to_string() << "\n";
  os << "arena: " << plan.arenaPerSample << " floats per sample ("
     << plan.unsharedPerSample << " without reuse)\n";
  os << "kernels: " << plan.kernels.size() << ", calls: " << plan.callCount()
     << "\n";
  for (size_t i = 0; i < plan.kernels.size(); ++i) {
    const KernelDesc &k = plan.kernels[i];
    os << "  k" << i << " = ";
    printKernel(os, k);
    os << "\n";
    std::string schedule;
    try {
      schedule = buildKernel(k, target).schedule;
    } catch (const Halide::Error &e) {
      return fn.emitError("cannot build the schedule of kernel k")
             << i << " (" << k.key() << "): " << trimHalideMessage(e.what());
    }
    os << "       schedule: " << schedule << "\n";
  }
  os << "slots: " << plan.slots.size() << "\n";
  for (size_t i = 0; i < plan.slots.size(); ++i)
    printSlot(os, plan, i, fn);
  os << "steps:\n";
  printSteps(os, plan.steps, 0);
  return success();
}

} // namespace codegen
} // namespace res
