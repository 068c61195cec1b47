#include "compiler/codegen/JitModel.h"

#include "compiler/codegen/KernelCache.h"
#include "compiler/codegen/Kernels.h"
#include "compiler/codegen/Lowering.h"
#include "compiler/codegen/PlanRecords.h"
#include "runtime/executor/Executor.h"

#include "dialect/ResDialect.h"

#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Verifier.h"

#include <cstring>
#include <map>
#include <mutex>
#include <set>

using namespace mlir;

namespace res {
namespace codegen {

namespace {

/// The value of a bound parameter, as the interpreter reads it.
std::string readBound(ParamOp param, resc::Tensor &out) {
  auto type = cast<RankedTensorType>(param.getType());
  out = resc::Tensor(
      std::vector<int64_t>(type.getShape().begin(), type.getShape().end()));
  ElementsAttr value = *param.getValue();
  const int64_t n = out.numel();
  if (auto dense = dyn_cast<DenseElementsAttr>(value)) {
    if (!dense.getElementType().isF32())
      return "its value is not f32";
    auto values = dense.getValues<float>();
    std::copy(values.begin(), values.end(), out.data.begin());
    return "";
  }
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(value)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob || int64_t(blob->getData().size()) != n * 4)
      return "its resource blob is missing or has the wrong size";
    std::memcpy(out.data.data(), blob->getData().data(), n * 4);
    return "";
  }
  if (auto begin = value.try_value_begin<float>()) {
    auto it = *begin;
    for (int64_t i = 0; i < n; ++i, ++it)
      out.data[i] = *it;
    return "";
  }
  return "its value cannot be read as f32 elements";
}

void countCalls(const std::vector<Step> &steps, int64_t times,
                std::vector<int64_t> &calls) {
  for (const Step &s : steps) {
    if (s.kind == Step::Call)
      calls[s.kernel] += times;
    else
      countCalls(s.body, times * s.count, calls);
  }
}

/// The plan's compiled kernels, as the runtime's executor calls them: each
/// call's buffers wrapped for the kernel's pipeline.
struct JitKernels : resc::exec::KernelTable {
  const Plan *plan = nullptr;
  bool call(const resc::format::ModelPlan &, const resc::format::StepRec &step,
            halide_buffer_t *buffers, size_t count,
            std::string &message) override {
    std::vector<Halide::Buffer<float>> operands;
    operands.reserve(count - 1);
    for (size_t i = 0; i + 1 < count; ++i)
      operands.emplace_back(buffers[i]);
    Halide::Buffer<float> result(buffers[count - 1]);
    message = plan->compiled[size_t(step.kernel)]->run(operands, result);
    return message.empty();
  }
};

/// Pairs each step record with the location of the step it came from, for
/// the diagnostic of a failed kernel.
void mapLocations(const std::vector<Step> &steps,
                  const std::vector<resc::format::StepRec> &recs,
                  std::map<const resc::format::StepRec *, Location> &out) {
  for (size_t i = 0; i < steps.size() && i < recs.size(); ++i) {
    if (steps[i].loc)
      out.emplace(&recs[i], *steps[i].loc);
    mapLocations(steps[i].body, recs[i].body, out);
  }
}

} // namespace

struct CompiledModel::Impl {
  Plan plan;
  /// The plan as the runtime's executor runs it (the records an AOT
  /// library embeds), and where each step came from.
  resc::format::ModelPlan section;
  std::map<const resc::format::StepRec *, Location> stepLocs;
  JitKernels kernels;
  resc::exec::Executor executor;
  Halide::Target target;
  std::shared_ptr<KernelCache> cache;
  size_t compiledCount = 0;
  Location loc;
  std::string name;
  /// Per input: the declared shape (-1 where dynamic) and its DSL name.
  std::vector<std::vector<int64_t>> inputShapes;
  std::vector<std::string> inputNames;
  /// Declared parameters: shape, and the value when bound in the IR.
  struct Param {
    std::vector<int64_t> shape;
    std::optional<resc::Tensor> bound;
    Location loc;
  };
  std::map<std::string, Param> params;
  std::vector<AlignedFloats> packed;
  std::vector<const float *> packedPtrs;
  /// Storage of the unbatched activations, by slot (empty for the others).
  std::vector<std::vector<float>> unbatched;
  bool paramsBound = false;
  resc::exec::Arena arena;
  std::mutex runMutex;

  explicit Impl(Location loc) : loc(loc) {}

  LogicalResult bind(const resc::TensorMap &given);
};

LogicalResult CompiledModel::Impl::bind(const resc::TensorMap &given) {
  // Every parameter a recipe reads, checked before any packing, so that the
  // message names the parameter and both shapes as the interpreter's does.
  std::set<std::string> used;
  for (const PackRecipe &r : plan.params) {
    for (const std::string *n : {&r.weight, &r.bias})
      if (!n->empty())
        used.insert(*n);
    if (r.batchNorm)
      used.insert({r.batchNorm->weight, r.batchNorm->bias, r.batchNorm->mean,
                   r.batchNorm->var});
  }
  std::map<std::string, const resc::Tensor *> resolved;
  for (const std::string &name : used) {
    auto declared = params.find(name);
    if (declared == params.end())
      return emitError(loc, "unknown parameter '") << name << "'";
    const Param &p = declared->second;
    if (p.bound) {
      resolved[name] = &*p.bound;
      continue;
    }
    auto it = given.find(name);
    if (it == given.end()) {
      InFlightDiagnostic diag = emitError(loc, "missing parameter '")
                                << name << "' of shape "
                                << resc::shapeToString(p.shape);
      diag.attachNote(p.loc) << "declared here";
      return diag;
    }
    const resc::Tensor &t = it->second;
    if (t.shape != p.shape || resc::checkedNumel(t.shape) != t.numel()) {
      InFlightDiagnostic diag =
          emitError(loc, "parameter '")
          << name << "' has shape " << resc::shapeToString(t.shape) << " ("
          << t.numel() << " elements) but the model expects "
          << resc::shapeToString(p.shape);
      diag.attachNote(p.loc) << "declared here";
      return diag;
    }
    resolved[name] = &t;
  }
  ParamLookup lookup = [&](const std::string &name) -> const resc::Tensor * {
    auto it = resolved.find(name);
    return it == resolved.end() ? nullptr : it->second;
  };
  // Kept from the last binding: a training step binds every step, and
  // fresh buffers would fault their pages in again each time.
  packed.resize(plan.params.size());
  packedPtrs.resize(plan.params.size());
  for (size_t i = 0; i < plan.params.size(); ++i) {
    std::string error;
    if (!packParam(plan.params[i], lookup, packed[i], error))
      return emitError(loc, "cannot prepare parameters: ") << error;
    packedPtrs[i] = packed[i].data();
  }
  paramsBound = true;
  return success();
}

FailureOr<CompiledModel> CompiledModel::compile(ModuleOp module,
                                                const CompileOptions &options) {
  func::FuncOp fn;
  for (auto f : module.getOps<func::FuncOp>()) {
    if (!options.function.empty() && f.getName() != options.function)
      continue;
    if (fn)
      return module.emitError("the module has several functions; name one");
    fn = f;
  }
  if (!fn)
    return module.emitError("the module has no function")
           << (options.function.empty() ? "" : " named @" + options.function);
  if (failed(verify(module)))
    return failure();

  if (fn.getNumArguments() == 0)
    return fn.emitError("the Halide backend needs an input: its first "
                        "dimension is the batch size of a run");
  ensureRecoverableHalideErrors();

  auto impl = std::make_unique<Impl>(fn.getLoc());
  impl->target = options.target;
  impl->cache = options.cache ? options.cache : std::make_shared<KernelCache>();
  impl->name = fn.getName().str();
  for (auto [i, type] : llvm::enumerate(fn.getArgumentTypes())) {
    auto ranked = cast<RankedTensorType>(type);
    std::vector<int64_t> shape;
    for (int64_t d = 0; d < ranked.getRank(); ++d)
      shape.push_back(ranked.isDynamicDim(d) ? -1 : ranked.getDimSize(d));
    impl->inputShapes.push_back(shape);
    std::string name = "#" + std::to_string(i);
    if (auto attr = fn.getArgAttrOfType<StringAttr>(i, kNameAttr))
      name += " '" + attr.getValue().str() + "'";
    impl->inputNames.push_back(name);
  }
  for (auto param : module.getOps<ParamOp>()) {
    auto type = cast<RankedTensorType>(param.getType());
    Impl::Param p{
        std::vector<int64_t>(type.getShape().begin(), type.getShape().end()),
        std::nullopt, param.getLoc()};
    if (param.getValue()) {
      resc::Tensor t;
      std::string error = readBound(param, t);
      if (!error.empty())
        return param.emitError("parameter '")
               << param.getSymName() << "' cannot be read: " << error;
      p.bound = std::move(t);
    }
    impl->params.emplace(param.getSymName().str(), std::move(p));
  }

  if (failed(lowerToPlan(fn, impl->plan, {!usesGpu(impl->target)})))
    return failure();

  Plan &plan = impl->plan;
  impl->section = sectionRecords(plan, plan.steps);
  impl->section.kernels = kernelRecords(plan.kernels);
  mapLocations(plan.steps, impl->section.steps, impl->stepLocs);
  impl->kernels.plan = &impl->plan;
  plan.compiled.resize(plan.kernels.size());
  for (size_t i = 0; i < plan.kernels.size(); ++i) {
    if (options.progress)
      options.progress(i, plan.kernels.size(), plan.kernels[i].key());
    std::string error;
    bool compiledNow = false;
    plan.compiled[i] =
        impl->cache->get(plan.kernels[i], impl->target, error, &compiledNow);
    if (!plan.compiled[i])
      return fn.emitError(error);
    impl->compiledCount += compiledNow;
  }
  if (options.progress)
    options.progress(plan.kernels.size(), plan.kernels.size(), "done");
  return CompiledModel(std::move(impl));
}

FailureOr<std::vector<resc::Tensor>>
CompiledModel::run(const std::vector<resc::Tensor> &inputs,
                   const resc::TensorMap &params) {
  std::vector<resc::Tensor> outputs;
  if (failed(run(inputs, params, outputs)))
    return failure();
  return outputs;
}

LogicalResult CompiledModel::run(const std::vector<resc::Tensor> &inputs,
                                 const resc::TensorMap &params,
                                 std::vector<resc::Tensor> &outputs) {
  Impl &m = *impl;
  std::lock_guard<std::mutex> lock(m.runMutex);
  if (inputs.size() != m.inputShapes.size())
    return emitError(m.loc, "model @")
           << m.name << " takes " << m.inputShapes.size()
           << (m.inputShapes.size() == 1 ? " input" : " inputs") << ", got "
           << inputs.size();
  int64_t batch = -1;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const resc::Tensor &t = inputs[i];
    const std::vector<int64_t> &want = m.inputShapes[i];
    bool fits = t.shape.size() == want.size() &&
                resc::checkedNumel(t.shape) == t.numel() && !t.shape.empty() &&
                t.shape[0] >= 1;
    for (size_t d = 0; fits && d < want.size(); ++d)
      fits = want[d] < 0 || want[d] == t.shape[d];
    if (!fits) {
      std::vector<int64_t> shown = want;
      std::string expected = "[";
      for (size_t d = 0; d < shown.size(); ++d)
        expected += (d ? ", " : "") + (shown[d] < 0 ? std::string("N")
                                                    : std::to_string(shown[d]));
      expected += "]";
      return emitError(m.loc, "input ")
             << m.inputNames[i] << " has shape " << resc::shapeToString(t.shape)
             << " (" << t.numel() << " elements) but the model expects "
             << expected;
    }
    if (batch >= 0 && t.shape[0] != batch)
      return emitError(m.loc, "inputs have different batch sizes: ")
             << batch << " and " << t.shape[0];
    batch = t.shape[0];
  }
  std::string error;
  if (!resc::exec::Executor::checkBatch(m.section, batch, error))
    return emitError(m.loc, error);

  if (!params.empty() || !m.paramsBound)
    if (failed(m.bind(params)))
      return failure();

  const resc::format::ModelPlan &section = m.section;
  outputs.resize(m.plan.outputs.size());
  std::vector<float *> outputPtrs(m.plan.outputs.size());
  for (size_t i = 0; i < m.plan.outputs.size(); ++i) {
    const Slot &slot = m.plan.slots[m.plan.outputs[i]];
    std::vector<int64_t> shape(slot.dims.begin(), slot.dims.end());
    if (slot.batched)
      shape.insert(shape.begin(), batch);
    // Every element is written by the kernels; a buffer of the right size
    // is used as it is.
    outputs[i].data.resize(size_t(resc::checkedNumel(shape)));
    outputs[i].shape = std::move(shape);
    outputPtrs[i] = outputs[i].data.data();
  }
  std::vector<const float *> inputPtrs;
  for (const resc::Tensor &t : inputs)
    inputPtrs.push_back(t.data.data());
  std::vector<float *> ptr;
  if (!resc::exec::Executor::bindSlots(
          section, batch, {inputPtrs.data(), outputPtrs.data(), &m.packedPtrs},
          m.arena, m.unbatched, ptr, error))
    return emitError(m.loc, error);
  if (m.executor.execute(section, section.steps, ptr, batch, m.kernels, error))
    return success();
  auto at = m.stepLocs.find(m.executor.failedStep());
  return emitError(at == m.stepLocs.end() ? m.loc : at->second, error);
}

LogicalResult CompiledModel::bindParams(const resc::TensorMap &params) {
  std::lock_guard<std::mutex> lock(impl->runMutex);
  return impl->bind(params);
}

void CompiledModel::setProfiling(bool enabled) {
  std::lock_guard<std::mutex> lock(impl->runMutex);
  impl->executor.setProfiling(enabled);
}

std::vector<LayerProfile> CompiledModel::profile() const {
  std::lock_guard<std::mutex> lock(impl->runMutex);
  std::vector<LayerProfile> rows;
  for (const resc::exec::ProfileRow &r : impl->executor.profile())
    rows.push_back({r.layer, r.kernel, r.calls, r.seconds, r.flops});
  return rows;
}

size_t CompiledModel::numKernels() const { return impl->plan.kernels.size(); }
size_t CompiledModel::numKernelsCompiled() const { return impl->compiledCount; }
int64_t CompiledModel::numCalls() const { return impl->plan.callCount(); }
int64_t CompiledModel::arenaFloatsPerSample() const {
  return impl->plan.arenaPerSample;
}
int64_t CompiledModel::unsharedFloatsPerSample() const {
  return impl->plan.unsharedPerSample;
}

std::vector<KernelInfo> CompiledModel::kernels() const {
  const Plan &plan = impl->plan;
  std::vector<int64_t> calls(plan.kernels.size(), 0);
  countCalls(plan.steps, 1, calls);
  std::vector<KernelInfo> out;
  for (size_t i = 0; i < plan.kernels.size(); ++i)
    out.push_back({plan.kernels[i].key(), plan.compiled[i]->schedule(),
                   calls[i], plan.kernels[i].flopsPerSample()});
  return out;
}

double CompiledModel::flopsPerSample() const {
  double total = 0;
  for (const KernelInfo &k : kernels())
    total += k.flopsPerSample * double(k.calls);
  return total;
}

CompiledModel::CompiledModel(std::unique_ptr<Impl> impl)
    : impl(std::move(impl)) {}
CompiledModel::CompiledModel(CompiledModel &&) = default;
CompiledModel &CompiledModel::operator=(CompiledModel &&) = default;
CompiledModel::~CompiledModel() = default;

} // namespace codegen
} // namespace res
