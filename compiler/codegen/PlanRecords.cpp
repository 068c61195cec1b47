#include "compiler/codegen/PlanRecords.h"

namespace format = resc::format;

namespace res {
namespace codegen {

namespace {

std::vector<int64_t> extentsOf(const Operand &operand) {
  if (!operand.batched)
    return operand.dims;
  if (operand.cOrder)
    return std::vector<int64_t>(operand.dims.rbegin(), operand.dims.rend());
  std::vector<int> e = internalExtents(operand.dims);
  return std::vector<int64_t>(e.begin(), e.end());
}

uint32_t slotKind(Slot::Kind kind) {
  switch (kind) {
  case Slot::Activation:
    return format::SlotActivation;
  case Slot::Param:
    return format::SlotParam;
  case Slot::Input:
    return format::SlotInput;
  case Slot::Output:
    return format::SlotOutput;
  case Slot::LoopResult:
    return format::SlotLoopResult;
  }
  return format::SlotLoopResult;
}

} // namespace

std::vector<format::KernelRec>
kernelRecords(const std::vector<KernelDesc> &kernels) {
  std::vector<format::KernelRec> recs;
  for (const KernelDesc &k : kernels) {
    format::KernelRec r;
    r.key = k.key();
    r.flopsPerSample = k.flopsPerSample();
    for (const Operand &o : k.operands)
      r.operands.push_back({o.batched, extentsOf(o)});
    r.resultBatched = k.resultBatched;
    if (!k.resultBatched) {
      // Unbatched results are C order, Halide dims reversed.
      r.result.assign(k.result.rbegin(), k.result.rend());
    } else {
      Operand result;
      result.dims = k.result;
      result.cOrder = k.kind == KernelKind::FromInternal;
      r.result = extentsOf(result);
    }
    recs.push_back(std::move(r));
  }
  return recs;
}

std::vector<format::StepRec> stepRecords(const std::vector<Step> &steps) {
  std::vector<format::StepRec> recs;
  for (const Step &s : steps) {
    format::StepRec r;
    r.kind = s.kind == Step::Call ? format::StepCall : format::StepLoop;
    r.kernel = s.kernel;
    r.operands.assign(s.operands.begin(), s.operands.end());
    r.result = s.result;
    r.layer = s.layer;
    r.count = s.count;
    r.input = s.input;
    r.arg = s.arg;
    r.yield = s.yield;
    r.body = stepRecords(s.body);
    recs.push_back(std::move(r));
  }
  return recs;
}

format::ModelPlan sectionRecords(const Plan &plan,
                                 const std::vector<Step> &steps) {
  format::ModelPlan out;
  out.arenaPerSample = plan.arenaPerSample;
  for (const Slot &s : plan.slots) {
    format::SlotRec r;
    r.kind = slotKind(s.kind);
    r.index = s.index;
    r.offset = s.offset;
    r.batched = s.batched;
    r.dims = s.dims;
    r.perSample = perSample(s.dims);
    out.slots.push_back(std::move(r));
  }
  out.steps = stepRecords(steps);
  // The packed size of each recipe is its Param slot's size.
  out.recipes.resize(plan.params.size());
  for (size_t i = 0; i < plan.params.size(); ++i)
    out.recipes[i].recipe = plan.params[i];
  for (const Slot &s : plan.slots)
    if (s.kind == Slot::Param)
      out.recipes[size_t(s.index)].floats = perSample(s.dims);
  out.largestPerSample = format::largestPerSample(out);
  return out;
}

} // namespace codegen
} // namespace res
