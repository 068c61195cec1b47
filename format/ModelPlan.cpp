#include "format/ModelPlan.h"
#include "format/ModelFormat.h"

namespace resc {
namespace format {

namespace {

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
    if (s.kind == StepCall) {
      s.kernel = r.i32();
      uint32_t k = r.count(4);
      s.operands.resize(k);
      for (int32_t &o : s.operands)
        o = r.i32();
      s.result = r.i32();
      s.layer = r.str();
    } else if (s.kind == StepLoop) {
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
    if (s.kind == StepLoop) {
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
    s.dims = r.dims();
    s.perSample = product(s.dims);
    if (s.perSample < 0)
      return false;
  }
  if (!r.ok || !readSteps(r, plan.steps, 0))
    return false;

  plan.recipes.resize(r.count(30));
  for (RecipeRec &rec : plan.recipes) {
    PackRecipe &p = rec.recipe;
    uint32_t kind = r.u32();
    // The format's recipe numbers are PackRecipe's (WeightPacking.h).
    static_assert(int(PackRecipe::WinogradWeight) == RecipeWinogradWeight);
    if (kind > RecipeWinogradWeight)
      return false;
    p.kind = PackRecipe::Kind(kind);
    p.weight = r.str();
    p.bias = r.str();
    p.channels = r.i64();
    if (r.u8()) {
      BatchNormRef bn;
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
    case SlotActivation:
      ok = !s.batched || s.offset < 0 ||
           (s.offset + s.perSample <= plan.arenaPerSample);
      break;
    case SlotParam:
      ok = s.index >= 0 && size_t(s.index) < plan.recipes.size();
      break;
    case SlotInput:
      ok = s.index >= 0 && size_t(s.index) < plan.inputs.size();
      break;
    case SlotOutput:
      ok = s.index >= 0 && size_t(s.index) < plan.outputs.size();
      break;
    case SlotLoopResult:
      break;
    default:
      ok = false;
    }
    if (!ok)
      return false;
  }
  plan.largestPerSample = largestPerSample(plan);
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
    if ((role = r.u8()) > RoleRunningStat)
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
    if (rec.recipe.kind == PackRecipe::Raw && !found)
      return false;
  }
  for (size_t i = 0; i < train->outputs.size(); ++i) {
    uint8_t role = train->roles[i];
    if (role != RoleParamGrad && role != RoleRunningStat)
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

namespace {

void writeSteps(Writer &w, const std::vector<StepRec> &steps) {
  w.u32(uint32_t(steps.size()));
  for (const StepRec &s : steps) {
    w.u8(s.kind);
    if (s.kind == StepCall) {
      w.i32(s.kernel);
      w.u32(uint32_t(s.operands.size()));
      for (int32_t o : s.operands)
        w.i32(o);
      w.i32(s.result);
      w.str(s.layer);
    } else {
      w.i64(s.count);
      w.i32(s.input);
      w.i32(s.arg);
      w.i32(s.yield);
      w.i32(s.result);
      writeSteps(w, s.body);
    }
  }
}

void writeNamed(Writer &w, const std::vector<NamedShape> &list, bool withSlot) {
  w.u32(uint32_t(list.size()));
  for (const NamedShape &v : list) {
    if (withSlot)
      w.i32(v.slot);
    w.str(v.name);
    w.dims(v.shape);
  }
}

void writeSection(Writer &w, const ModelPlan &plan) {
  w.i64(plan.arenaPerSample);
  w.u32(uint32_t(plan.slots.size()));
  for (const SlotRec &s : plan.slots) {
    w.u32(s.kind);
    w.i32(s.index);
    w.i64(s.offset);
    w.u8(s.batched ? 1 : 0);
    w.dims(s.dims);
  }
  writeSteps(w, plan.steps);
  w.u32(uint32_t(plan.recipes.size()));
  for (const RecipeRec &rec : plan.recipes) {
    const PackRecipe &r = rec.recipe;
    w.u32(uint32_t(r.kind));
    w.str(r.weight);
    w.str(r.bias);
    w.i64(r.channels);
    w.u8(r.batchNorm ? 1 : 0);
    if (r.batchNorm) {
      w.str(r.batchNorm->weight);
      w.str(r.batchNorm->bias);
      w.str(r.batchNorm->mean);
      w.str(r.batchNorm->var);
      w.f64(r.batchNorm->epsilon);
    }
    w.i64(rec.embeddedOffset);
    w.i64(rec.floats);
  }
  writeNamed(w, plan.params, false);
  writeNamed(w, plan.inputs, true);
  writeNamed(w, plan.outputs, true);
}

} // namespace

int64_t largestPerSample(const ModelPlan &section) {
  int64_t largest = std::max<int64_t>(section.arenaPerSample, 1);
  for (const SlotRec &s : section.slots)
    largest = std::max(largest, s.perSample);
  return largest;
}

std::vector<uint8_t> writePlan(const ModelPlan &plan) {
  Writer w;
  w.raw(kPlanMagic, kPlanMagicSize);
  w.u32(uint32_t(plan.kernels.size()));
  for (const KernelRec &k : plan.kernels) {
    w.str(k.key);
    w.f64(k.flopsPerSample);
    w.u32(uint32_t(k.operands.size()));
    for (const OperandRec &o : k.operands) {
      w.u8(o.batched ? 1 : 0);
      w.dims(o.extents);
    }
    w.u8(k.resultBatched ? 1 : 0);
    w.dims(k.result);
  }
  writeSection(w, plan);
  w.u8(plan.train ? 1 : 0);
  if (const ModelPlan *t = plan.train.get()) {
    writeSection(w, *t);
    writeSteps(w, t->backward);
    w.u32(uint32_t(t->roles.size()));
    for (uint8_t role : t->roles)
      w.u8(role);
    w.u32(uint32_t(t->trainParams.size()));
    for (const TrainParamRec &p : t->trainParams) {
      w.str(p.name);
      w.dims(p.shape);
      w.u8(p.trainable ? 1 : 0);
      w.i64(p.embeddedOffset);
    }
  }
  return std::move(w.bytes);
}

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

} // namespace format
} // namespace resc
