#include "compiler/codegen/JitModel.h"

#include "compiler/codegen/KernelCache.h"
#include "compiler/codegen/Kernels.h"
#include "compiler/codegen/Lowering.h"

#include "dialect/ResDialect.h"

#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Verifier.h"

#include <chrono>
#include <cstdlib>
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

/// 64-byte aligned float storage that keeps its memory when it shrinks.
struct Arena {
  float *data = nullptr;
  size_t size = 0;
  void resize(size_t n) {
    if (n <= size)
      return;
    std::free(data);
    data = static_cast<float *>(std::aligned_alloc(64, (n * 4 + 63) / 64 * 64));
    size = data ? n : 0;
  }
  ~Arena() { std::free(data); }
};

void countCalls(const std::vector<Step> &steps, int64_t times,
                std::vector<int64_t> &calls) {
  for (const Step &s : steps) {
    if (s.kind == Step::Call)
      calls[s.kernel] += times;
    else
      countCalls(s.body, times * s.count, calls);
  }
}

} // namespace

struct CompiledModel::Impl {
  Plan plan;
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
  /// Storage of the unbatched activations, by slot (empty for the others).
  std::vector<AlignedFloats> unbatched;
  bool paramsBound = false;
  Arena arena;
  std::mutex runMutex;
  /// Profiling: per call site (a Step), indexed by the order in which they
  /// were first met, so the table follows the plan.
  bool profiling = false;
  std::map<const Step *, size_t> profileIndex;
  std::vector<LayerProfile> profileRows;

  explicit Impl(Location loc) : loc(loc) {}

  LogicalResult bind(const resc::TensorMap &given);
  LogicalResult execute(const std::vector<Step> &steps,
                        std::vector<float *> &ptr, int64_t batch);
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
  for (size_t i = 0; i < plan.params.size(); ++i) {
    std::string error;
    if (!packParam(plan.params[i], lookup, packed[i], error))
      return emitError(loc, "cannot prepare parameters: ") << error;
  }
  paramsBound = true;
  return success();
}

LogicalResult CompiledModel::Impl::execute(const std::vector<Step> &steps,
                                           std::vector<float *> &ptr,
                                           int64_t batch) {
  for (const Step &step : steps) {
    if (step.kind == Step::Loop) {
      // Alternate between the two loop buffers: iteration i reads `cur`
      // and writes the other one; the first reads the loop's input.
      float *home[2] = {ptr[step.arg], ptr[step.yield]};
      float *cur = ptr[step.input];
      for (int64_t i = 0; i < step.count; ++i) {
        float *dst = home[(i + 1) % 2];
        ptr[step.arg] = cur;
        ptr[step.yield] = dst;
        if (failed(execute(step.body, ptr, batch)))
          return failure();
        cur = dst;
      }
      ptr[step.arg] = home[0];
      ptr[step.yield] = home[1];
      ptr[step.result] = cur;
      continue;
    }
    const CompiledKernel &kernel = *plan.compiled[step.kernel];
    const KernelDesc &desc = kernel.desc();
    std::vector<Halide::Buffer<float>> operands;
    operands.reserve(step.operands.size());
    for (size_t i = 0; i < step.operands.size(); ++i)
      operands.push_back(
          CompiledKernel::wrap(desc.operands[i], ptr[step.operands[i]], batch));
    Halide::Buffer<float> result =
        CompiledKernel::wrapResult(desc, ptr[step.result], batch);
    auto begin = std::chrono::steady_clock::now();
    std::string error = kernel.run(operands, result);
    if (profiling) {
      double seconds = std::chrono::duration<double>(
                           std::chrono::steady_clock::now() - begin)
                           .count();
      auto [it, inserted] = profileIndex.try_emplace(&step, profileRows.size());
      if (inserted)
        profileRows.push_back({step.layer, desc.key(), 0, 0, 0});
      LayerProfile &row = profileRows[it->second];
      row.calls += 1;
      row.seconds += seconds;
      row.flops += desc.flopsPerSample() * double(batch);
    }
    if (!error.empty()) {
      InFlightDiagnostic diag = emitError(step.loc ? *step.loc : loc)
                                << "the " << kindName(desc.kind) << " kernel";
      if (!step.layer.empty())
        diag << " of layer '" << step.layer << "'";
      diag << " failed: " << error;
      return diag;
    }
  }
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
  impl->unbatched.resize(plan.slots.size());
  for (size_t i = 0; i < plan.slots.size(); ++i)
    if (plan.slots[i].kind == Slot::Activation && !plan.slots[i].batched)
      impl->unbatched[i].assign(size_t(plan.slots[i].size()), 0.0f);
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
  // Halide indexes with 32-bit ints: keep every buffer below 2^31 elements.
  const int64_t perBatch = std::max<int64_t>(m.plan.arenaPerSample, 1);
  if (batch > (int64_t(1) << 31) / perBatch)
    return emitError(m.loc, "batch ") << batch << " is too large";

  if (!params.empty() || !m.paramsBound)
    if (failed(m.bind(params)))
      return failure();

  m.arena.resize(size_t(batch * perBatch));
  if (!m.arena.data)
    return emitError(m.loc, "cannot allocate the arena of ")
           << batch * perBatch * 4 << " bytes";

  Plan &plan = m.plan;
  outputs.resize(plan.outputs.size());
  for (size_t i = 0; i < plan.outputs.size(); ++i) {
    const Slot &slot = plan.slots[plan.outputs[i]];
    std::vector<int64_t> shape;
    if (slot.batched)
      shape.push_back(batch);
    shape.insert(shape.end(), slot.dims.begin(), slot.dims.end());
    // Every element is written by the kernels; a buffer of the right size
    // is used as it is.
    outputs[i].data.resize(size_t(resc::checkedNumel(shape)));
    outputs[i].shape = std::move(shape);
  }
  std::vector<float *> ptr(plan.slots.size(), nullptr);
  for (size_t i = 0; i < plan.slots.size(); ++i) {
    const Slot &slot = plan.slots[i];
    switch (slot.kind) {
    case Slot::Activation:
      if (!slot.batched)
        ptr[i] = m.unbatched[i].data();
      else if (slot.offset >= 0)
        ptr[i] = m.arena.data + batch * slot.offset;
      break;
    case Slot::Param:
      ptr[i] = m.packed[slot.index].data();
      break;
    case Slot::Input:
      ptr[i] = const_cast<float *>(inputs[slot.index].data.data());
      break;
    case Slot::Output:
      ptr[i] = outputs[slot.index].data.data();
      break;
    case Slot::LoopResult:
      break;
    }
  }
  return m.execute(plan.steps, ptr, batch);
}

LogicalResult CompiledModel::bindParams(const resc::TensorMap &params) {
  std::lock_guard<std::mutex> lock(impl->runMutex);
  return impl->bind(params);
}

void CompiledModel::setProfiling(bool enabled) {
  std::lock_guard<std::mutex> lock(impl->runMutex);
  impl->profiling = enabled;
  impl->profileIndex.clear();
  impl->profileRows.clear();
}

std::vector<LayerProfile> CompiledModel::profile() const {
  std::lock_guard<std::mutex> lock(impl->runMutex);
  return impl->profileRows;
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
