#include "ModelPlan.h"
#include "ModelFormat.h"

namespace resc {
namespace aot {

namespace {

using format::Reader;

int64_t product(const std::vector<int64_t> &d) {
  int64_t n = 1;
  for (int64_t v : d) {
    if (v < 0 || (v > 0 && n > (int64_t(1) << 40) / v))
      return -1;
    n *= v;
  }
  return n;
}

/// Loops nest only as deep as the model's tied repeats; a bound keeps a
/// corrupt plan from exhausting the stack.
constexpr int kMaxDepth = 64;

bool readSteps(Reader &r, std::vector<StepRec> &steps, int depth) {
  uint32_t n = r.count(5);
  if (depth > kMaxDepth)
    return false;
  steps.resize(n);
  for (StepRec &s : steps) {
    s.kind = r.u8();
    if (s.kind == format::StepCall) {
      s.kernel = r.i32();
      uint32_t k = r.count(4);
      s.operands.resize(k);
      for (int32_t &o : s.operands)
        o = r.i32();
      s.result = r.i32();
      s.layer = r.str();
    } else if (s.kind == format::StepLoop) {
      s.count = r.i64();
      s.input = r.i32();
      s.arg = r.i32();
      s.yield = r.i32();
      s.result = r.i32();
      if (!readSteps(r, s.body, depth + 1))
        return false;
    } else {
      return false;
    }
    if (!r.ok)
      return false;
  }
  return r.ok;
}

bool checkSteps(const ModelPlan &plan, const std::vector<StepRec> &steps,
                std::string &error) {
  auto slotOk = [&](int32_t s) {
    return s >= 0 && size_t(s) < plan.slots.size();
  };
  for (const StepRec &s : steps) {
    if (s.kind == format::StepLoop) {
      if (s.count < 0 || !slotOk(s.input) || !slotOk(s.arg) ||
          !slotOk(s.yield) || !slotOk(s.result)) {
        error = "a loop refers to a missing buffer";
        return false;
      }
      if (!checkSteps(plan, s.body, error))
        return false;
      continue;
    }
    if (s.kernel < 0 || size_t(s.kernel) >= plan.kernels.size()) {
      error = "a call refers to a missing kernel";
      return false;
    }
    const KernelRec &k = plan.kernels[s.kernel];
    if (s.operands.size() != k.operands.size() || !slotOk(s.result)) {
      error = "a call of kernel " + k.key + " has the wrong operands";
      return false;
    }
    for (int32_t o : s.operands)
      if (!slotOk(o)) {
        error = "a call of kernel " + k.key + " refers to a missing buffer";
        return false;
      }
  }
  return true;
}

bool readNamed(Reader &r, std::vector<NamedShape> &out, bool withSlot) {
  uint32_t n = r.count(8);
  out.resize(n);
  for (NamedShape &v : out) {
    if (withSlot)
      v.slot = r.i32();
    v.name = r.str();
    v.shape = r.dims();
  }
  return r.ok;
}

bool readKernels(Reader &r, std::vector<KernelRec> &kernels) {
  kernels.resize(r.count(16));
  for (KernelRec &k : kernels) {
    k.key = r.str();
    k.flopsPerSample = r.f64();
    k.operands.resize(r.count(5));
    for (OperandRec &o : k.operands) {
      o.batched = r.u8() != 0;
      o.extents = r.dims();
    }
    k.resultBatched = r.u8() != 0;
    k.result = r.dims();
  }
  return r.ok;
}

/// One section (ModelFormat.h), checked against the kernels in `plan`.
bool readSection(Reader &r, ModelPlan &plan, std::string &error) {
  plan.arenaPerSample = r.i64();
  plan.slots.resize(r.count(21));
  for (SlotRec &s : plan.slots) {
    s.kind = r.u32();
    s.index = r.i32();
    s.offset = r.i64();
    s.batched = r.u8() != 0;
    s.perSample = product(r.dims());
    if (s.perSample < 0)
      return false;
  }
  if (!r.ok || !readSteps(r, plan.steps, 0))
    return false;

  plan.recipes.resize(r.count(30));
  for (RecipeRec &rec : plan.recipes) {
    res::codegen::PackRecipe &p = rec.recipe;
    uint32_t kind = r.u32();
    // The format's recipe numbers are the compiler's (AotCompiler.cpp).
    static_assert(int(res::codegen::PackRecipe::WinogradWeight) ==
                  format::RecipeWinogradWeight);
    if (kind > format::RecipeWinogradWeight)
      return false;
    p.kind = res::codegen::PackRecipe::Kind(kind);
    p.weight = r.str();
    p.bias = r.str();
    p.channels = r.i64();
    if (r.u8()) {
      res::codegen::BatchNormRef bn;
      bn.weight = r.str();
      bn.bias = r.str();
      bn.mean = r.str();
      bn.var = r.str();
      bn.epsilon = r.f64();
      p.batchNorm = bn;
    }
    rec.embeddedOffset = r.i64();
    rec.floats = r.i64();
  }
  if (!readNamed(r, plan.params, false) || !readNamed(r, plan.inputs, true) ||
      !readNamed(r, plan.outputs, true))
    return false;

  for (const SlotRec &s : plan.slots) {
    bool ok = true;
    switch (s.kind) {
    case format::SlotActivation:
      ok = !s.batched || s.offset < 0 ||
           (s.offset + s.perSample <= plan.arenaPerSample);
      break;
    case format::SlotParam:
      ok = s.index >= 0 && size_t(s.index) < plan.recipes.size();
      break;
    case format::SlotInput:
      ok = s.index >= 0 && size_t(s.index) < plan.inputs.size();
      break;
    case format::SlotOutput:
      ok = s.index >= 0 && size_t(s.index) < plan.outputs.size();
      break;
    case format::SlotLoopResult:
      break;
    default:
      ok = false;
    }
    if (!ok)
      return false;
    plan.largestPerSample = std::max(plan.largestPerSample, s.perSample);
  }
  plan.largestPerSample = std::max(plan.largestPerSample, plan.arenaPerSample);
  for (const auto *list : {&plan.inputs, &plan.outputs})
    for (const NamedShape &io : *list)
      if (io.slot < 0 || size_t(io.slot) >= plan.slots.size() ||
          io.shape.empty() || io.shape.size() > 8)
        return false;
  return checkSteps(plan, plan.steps, error);
}

/// The training section and what follows it.
bool readTraining(Reader &r, ModelPlan &plan, std::string &error) {
  auto train = std::make_shared<ModelPlan>();
  train->kernels = plan.kernels;
  if (!readSection(r, *train, error) || !readSteps(r, train->backward, 0) ||
      !checkSteps(*train, train->backward, error))
    return false;
  train->roles.resize(r.count(1));
  for (uint8_t &role : train->roles)
    if ((role = r.u8()) > format::RoleRunningStat)
      return false;
  if (train->roles.size() != train->outputs.size())
    return false;
  train->trainParams.resize(r.count(17));
  for (TrainParamRec &p : train->trainParams) {
    p.name = r.str();
    p.shape = r.dims();
    p.trainable = r.u8() != 0;
    p.embeddedOffset = r.i64();
    p.count = product(p.shape);
    if (p.count < 0)
      return false;
  }
  // Raw recipes must name a parameter of the list: the runtime points them
  // at its copy. (The others are packed from the list at each step.)
  for (const RecipeRec &rec : train->recipes) {
    bool found = false;
    for (const TrainParamRec &p : train->trainParams)
      found |= p.name == rec.recipe.weight && p.count == rec.floats;
    if (rec.recipe.kind == res::codegen::PackRecipe::Raw && !found)
      return false;
  }
  for (size_t i = 0; i < train->outputs.size(); ++i) {
    uint8_t role = train->roles[i];
    if (role != format::RoleParamGrad && role != format::RoleRunningStat)
      continue;
    bool found = false;
    for (const TrainParamRec &p : train->trainParams)
      found |= p.name == train->outputs[i].name &&
               p.count == train->slots[train->outputs[i].slot].perSample;
    if (!found)
      return false;
  }
  plan.train = std::move(train);
  return r.ok;
}

} // namespace

bool parsePlan(const uint8_t *bytes, size_t size, size_t numKernels,
               ModelPlan &plan, std::string &error) {
  // The magic's last byte is the format's version: a library from a resc
  // whose plan or packed weights differ is refused by name, since its
  // kernels would read this runtime's packing wrongly.
  const size_t family = format::kPlanMagicSize - 1;
  if (bytes && size >= format::kPlanMagicSize &&
      std::memcmp(bytes, format::kPlanMagic, family) == 0 &&
      bytes[family] != uint8_t(format::kPlanMagic[family])) {
    const char got = char(bytes[family]);
    error = std::string("the library was compiled by another version of resc "
                        "(plan format ") +
            (got >= '0' && got <= '9' ? std::string(1, got) : "unknown") +
            ", this runtime reads format " + format::kPlanMagic[family] +
            "): compile the model again";
    return false;
  }
  error = "the library's plan is malformed (truncated or of another resc "
          "version)";
  if (!bytes || size < format::kPlanMagicSize ||
      std::memcmp(bytes, format::kPlanMagic, format::kPlanMagicSize) != 0)
    return false;
  Reader r(bytes + format::kPlanMagicSize, size - format::kPlanMagicSize);
  if (!readKernels(r, plan.kernels))
    return false;
  if (plan.kernels.size() != numKernels) {
    error = "the library's plan names " + std::to_string(plan.kernels.size()) +
            " kernels but it has " + std::to_string(numKernels);
    return false;
  }
  if (!readSection(r, plan, error))
    return false;
  if (r.u8() != 0 && !readTraining(r, plan, error))
    return false;
  if (!r.ok || !r.atEnd())
    return false;
  error.clear();
  return true;
}

} // namespace aot
} // namespace resc
