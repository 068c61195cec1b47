#include "compiler/aot/AotCompiler.h"
#include "compiler/aot/AotSources.h"
#include "compiler/driver/LoadModel.h"

#include "compiler/codegen/KernelCache.h"
#include "compiler/codegen/Kernels.h"
#include "compiler/codegen/Lowering.h"
#include "compiler/codegen/PlanRecords.h"
#include "compiler/codegen/Targets.h"
#include "compiler/passes/ParamValues.h"
#include "format/ModelFormat.h"
#include "format/ModelPlan.h"

#include "dialect/ResDialect.h"

#include "mlir/IR/Verifier.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <Halide.h>

#include <fstream>
#include <map>
#include <set>

using namespace mlir;
using namespace resc::driver;
using namespace res::codegen;
namespace format = resc::format;

namespace resc::aot {

bool isCIdentifier(const std::string &name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0])))
    return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_')
      return false;
  return true;
}

namespace {

/// The names of every parameter a recipe reads.
std::vector<std::string> paramsOf(const PackRecipe &r) {
  std::vector<std::string> names;
  for (const std::string *n : {&r.weight, &r.bias})
    if (!n->empty())
      names.push_back(*n);
  if (r.batchNorm)
    names.insert(names.end(), {r.batchNorm->weight, r.batchNorm->bias,
                               r.batchNorm->mean, r.batchNorm->var});
  return names;
}

/// Everything that goes into the library besides the kernels.
struct ModelData {
  format::ModelPlan plan;
  /// Packed weights at 64-byte aligned offsets; empty when some parameter
  /// is not bound (the library then needs weights at creation). Training
  /// libraries add the raw parameters after them.
  std::vector<float> weights;
};

/// One library's worth of kernels, deduplicated by key across the
/// inference and the training plans.
struct KernelTable {
  std::vector<KernelDesc> kernels;
  std::map<std::string, int> byKey;

  /// Renumbers the calls of `steps` (from `plan`'s kernel list) into the
  /// table, adding kernels it lacks.
  void adopt(const Plan &plan, std::vector<Step> &steps) {
    for (Step &s : steps) {
      if (s.kind == Step::Loop) {
        adopt(plan, s.body);
        continue;
      }
      const KernelDesc &k = plan.kernels[s.kernel];
      auto [it, added] = byKey.try_emplace(k.key(), int(kernels.size()));
      if (added)
        kernels.push_back(k);
      s.kernel = it->second;
    }
  }
};

/// Declared shapes and bound values of the module's parameters.
struct ModuleParams {
  std::map<std::string, resc::Tensor> bound;
  std::map<std::string, std::vector<int64_t>> declared;
};

bool readParams(ModuleOp module, ModuleParams &out) {
  for (auto param : module.getOps<res::ParamOp>()) {
    auto type = cast<RankedTensorType>(param.getType());
    std::vector<int64_t> shape(type.getShape().begin(), type.getShape().end());
    out.declared[param.getSymName().str()] = shape;
    if (auto values = res::boundValues(param)) {
      resc::Tensor t(shape);
      if (int64_t(values->size()) != t.numel()) {
        param.emitError("bound value has the wrong number of elements");
        return false;
      }
      std::copy(values->begin(), values->end(), t.data.begin());
      out.bound.emplace(param.getSymName().str(), std::move(t));
    }
  }
  return true;
}

/// Appends `values` at a 64-byte aligned offset of `weights`; its offset.
int64_t embed(std::vector<float> &weights, const float *values, size_t n) {
  weights.resize((weights.size() + 15) / 16 * 16);
  int64_t offset = int64_t(weights.size());
  weights.insert(weights.end(), values, values + n);
  return offset;
}

/// Fills one plan section (ModelFormat.h): the arena, slots, `steps`,
/// recipes (packed into `weights` when every parameter is bound), the
/// parameters they read and the inputs and outputs.
bool fillSection(func::FuncOp fn, const Plan &plan,
                 const std::vector<Step> &steps, const ModuleParams &params,
                 std::vector<float> &weights, format::ModelPlan &out) {
  std::set<std::string> used;
  bool allBound = true;
  for (const PackRecipe &r : plan.params)
    for (const std::string &n : paramsOf(r)) {
      used.insert(n);
      allBound &= params.bound.count(n) > 0;
    }
  for (const std::string &n : used)
    if (!params.declared.count(n)) {
      fn.emitError("the plan reads an undeclared parameter '") << n << "'";
      return false;
    }

  // Every recipe of the inference plan is embedded, raw ones too: layer
  // norms and layer scales read their parameters unpacked (a Raw recipe is
  // a copy). The training plan's raw recipes point at the instance's own
  // parameters, which it keeps apart.
  std::vector<format::KernelRec> kernels = std::move(out.kernels);
  out = sectionRecords(plan, steps);
  out.kernels = std::move(kernels);
  if (allBound) {
    ParamLookup lookup = [&](const std::string &name) -> const resc::Tensor * {
      auto it = params.bound.find(name);
      return it == params.bound.end() ? nullptr : &it->second;
    };
    for (size_t i = 0; i < plan.params.size(); ++i) {
      AlignedFloats packed;
      std::string error;
      if (!packParam(plan.params[i], lookup, packed, error)) {
        fn.emitError("cannot pack the bound weights: ") << error;
        return false;
      }
      const int64_t size = out.recipes[i].floats;
      if (int64_t(packed.size()) != size) {
        fn.emitError("a packed parameter has ")
            << packed.size() << " values, its kernel expects " << size;
        return false;
      }
      out.recipes[i].embeddedOffset =
          embed(weights, packed.data(), packed.size());
    }
  }

  for (size_t i = 0; i < plan.inputs.size(); ++i) {
    std::vector<int64_t> shape = {-1};
    const Dims &d = plan.slots[plan.inputs[i]].dims;
    shape.insert(shape.end(), d.begin(), d.end());
    out.inputs.push_back({plan.inputs[i], inputName(fn, i), shape});
  }
  for (size_t i = 0; i < plan.outputs.size(); ++i) {
    const Slot &slot = plan.slots[plan.outputs[i]];
    std::vector<int64_t> shape;
    if (slot.batched)
      shape.push_back(-1);
    shape.insert(shape.end(), slot.dims.begin(), slot.dims.end());
    out.outputs.push_back({plan.outputs[i], outputName(fn, i), shape});
  }

  for (const std::string &n : used)
    out.params.push_back({-1, n, params.declared.at(n)});
  return true;
}

std::string resultAttr(func::FuncOp fn, unsigned index, llvm::StringRef name) {
  auto attr = fn.getResultAttrOfType<StringAttr>(index, name);
  return attr ? attr.str() : "";
}

/// The training function's plan, its steps reordered into the training
/// forward (every call that does not read the output gradients, directly
/// or through another call) followed by the backward pass, and its memory
/// planned in that order: a value the backward part reads stays in the
/// arena until that read, across the two entry calls.
struct TrainingPlan {
  Plan plan;
  std::vector<Step> forward, backward;
};

bool splitTraining(func::FuncOp train, unsigned numInputs, TrainingPlan &t) {
  std::vector<bool> late(t.plan.slots.size(), false);
  for (size_t i = 0; i < t.plan.slots.size(); ++i) {
    const Slot &s = t.plan.slots[i];
    late[i] = s.kind == Slot::Input && s.index >= int(numInputs);
  }
  for (const Step &s : t.plan.steps) {
    if (s.kind == Step::Loop) {
      train.emitError("the training function has a loop; "
                      "res-generate-gradients unrolls tied repeats");
      return false;
    }
    bool reads = false;
    for (int o : s.operands)
      reads |= late[o];
    late[s.result] = late[s.result] || reads;
    (reads ? t.backward : t.forward).push_back(s);
  }
  t.plan.steps = t.forward;
  t.plan.steps.insert(t.plan.steps.end(), t.backward.begin(), t.backward.end());
  t.plan.planMemory();
  return true;
}

bool buildData(ModuleOp module, func::FuncOp fn, Plan &plan,
               const TrainInput *train, KernelTable &table, ModelData &data) {
  ModuleParams params;
  if (!readParams(module, params))
    return false;
  table.adopt(plan, plan.steps);

  TrainingPlan tp;
  ModuleParams trainParams;
  if (train) {
    if (failed(lowerToPlan(train->fn, tp.plan)) ||
        !splitTraining(train->fn, fn.getNumArguments(), tp) ||
        !readParams(train->fn->getParentOfType<ModuleOp>(), trainParams))
      return false;
    table.adopt(tp.plan, tp.forward);
    table.adopt(tp.plan, tp.backward);
  }

  data.plan.kernels = kernelRecords(table.kernels);
  if (!fillSection(fn, plan, plan.steps, params, data.weights, data.plan))
    return false;
  if (train) {
    func::FuncOp trainFn = train->fn;
    auto t = std::make_shared<format::ModelPlan>();
    if (!fillSection(train->fn, tp.plan, tp.forward, trainParams, data.weights,
                     *t))
      return false;
    t->backward = stepRecords(tp.backward);
    const std::vector<format::NamedShape> &outputs = t->outputs;
    // Every parameter the training function reads or updates, with the
    // role its results give it.
    std::map<std::string, bool> trainable;
    for (const PackRecipe &r : tp.plan.params)
      for (const std::string &n : paramsOf(r))
        trainable.emplace(n, false);
    for (size_t i = 0; i < outputs.size(); ++i) {
      std::string role = resultAttr(trainFn, unsigned(i), "res.role");
      std::string name = resultAttr(trainFn, unsigned(i), "res.name");
      uint8_t kind = role == "output"         ? format::RoleOutput
                     : role == "input_grad"   ? format::RoleInputGrad
                     : role == "param_grad"   ? format::RoleParamGrad
                     : role == "running_stat" ? format::RoleRunningStat
                                              : 255;
      if (kind == 255) {
        trainFn.emitError("training result ")
            << i << " has no known res.role ('" << role << "')";
        return false;
      }
      if (kind == format::RoleParamGrad)
        trainable[name] = true;
      else if (kind == format::RoleRunningStat)
        trainable.emplace(name, false);
      t->roles.push_back(kind);
    }
    for (const auto &[name, isTrainable] : trainable) {
      auto shape = trainParams.declared.find(name);
      if (shape == trainParams.declared.end()) {
        trainFn.emitError("the training function names an undeclared "
                          "parameter '")
            << name << "'";
        return false;
      }
      int64_t offset = -1;
      if (train->weights) {
        auto it = train->weights->find(name);
        if (it == train->weights->end()) {
          trainFn.emitError("the weights have no parameter '") << name << "'";
          return false;
        }
        offset =
            embed(data.weights, it->second.data.data(), it->second.data.size());
      }
      t->trainParams.push_back({name, shape->second, 0, isTrainable, offset});
    }
    if (train->verbose)
      llvm::errs() << "resc: training plan: " << tp.forward.size()
                   << " forward and " << tp.backward.size()
                   << " backward calls, arena " << tp.plan.arenaPerSample * 4
                   << " bytes per sample\n";
    data.plan.train = std::move(t);
  }
  return true;
}

bool writeFile(const std::string &path, const void *bytes, size_t size) {
  std::ofstream out(path, std::ios::binary);
  out.write(static_cast<const char *>(bytes), std::streamsize(size));
  out.close();
  if (!out) {
    reportError("cannot write " + path);
    return false;
  }
  return true;
}

bool writeText(const std::string &path, const std::string &text) {
  return writeFile(path, text.data(), text.size());
}

/// Runs `program` with `args`; reports its failure with the command line.
bool runTool(const std::string &program, std::vector<std::string> args) {
  auto found = llvm::sys::findProgramByName(program);
  if (!found) {
    reportError("cannot find '" + program +
                "' on PATH; resc compile needs a C compiler (cc) and an "
                "archiver (ar)");
    return false;
  }
  args.insert(args.begin(), program);
  std::vector<llvm::StringRef> refs(args.begin(), args.end());
  std::string message;
  int rc =
      llvm::sys::ExecuteAndWait(*found, refs, std::nullopt, {}, 0, 0, &message);
  if (rc != 0) {
    std::string line;
    for (const std::string &a : args)
      line += (line.empty() ? "" : " ") + a;
    reportError("'" + line + "' failed" +
                (message.empty() ? "" : ": " + message));
    return false;
  }
  return true;
}

/// Removes the scratch directory however compileAot returns.
struct ScratchDir {
  llvm::SmallString<128> path;
  ~ScratchDir() {
    if (!path.empty())
      llvm::sys::fs::remove_directories(path);
  }
};

} // namespace

bool compileAot(ModuleOp module, func::FuncOp fn, const AotOptions &options,
                const TrainInput *train) {
  if (!isCIdentifier(options.name)) {
    reportError("--name '" + options.name +
                "' is not a C identifier (letters, digits, '_')");
    return false;
  }
  std::optional<Halide::Target> parsed = parseTarget(options.target);
  if (!parsed) {
    reportError(unknownTargetMessage(options.target));
    return false;
  }
  const Halide::Target target = *parsed;
  // Kernels leave the runtime to one shared object and take the per-call
  // error context as their first argument.
  const Halide::Target kernelTarget =
      target.with_feature(Halide::Target::NoRuntime)
          .with_feature(Halide::Target::UserContext);
  if (failed(verify(module)))
    return false;
  if (fn.getNumArguments() == 0) {
    fn.emitError("the Halide backend needs an input: its first dimension is "
                 "the batch size of a run");
    return false;
  }

  Plan plan;
  if (failed(lowerToPlan(fn, plan, {!usesGpu(target)})))
    return false;
  ModelData data;
  KernelTable table;
  if (!buildData(module, fn, plan, train, table, data))
    return false;
  if (options.verbose) {
    llvm::errs() << "resc: " << table.kernels.size()
                 << " distinct kernels (one per layer signature), "
                 << plan.callCount() << " calls per run\n";
    llvm::errs() << "resc: arena " << plan.arenaPerSample * 4
                 << " bytes per sample after reuse ("
                 << plan.unsharedPerSample * 4 << " without)\n";
    for (size_t i = 0; i < table.kernels.size(); ++i)
      llvm::errs() << "  " << options.name << "_k" << i << ": "
                   << table.kernels[i].key() << "\n";
  }

  if (std::error_code ec =
          llvm::sys::fs::create_directories(options.outputDir)) {
    reportError("cannot create " + options.outputDir + ": " + ec.message());
    return false;
  }
  ScratchDir scratch;
  if (std::error_code ec =
          llvm::sys::fs::createUniqueDirectory("resc-compile", scratch.path)) {
    reportError("cannot create a scratch directory: " + ec.message());
    return false;
  }
  auto scratchFile = [&](const std::string &leaf) {
    llvm::SmallString<128> p(scratch.path);
    llvm::sys::path::append(p, leaf);
    return std::string(p);
  };

  ensureRecoverableHalideErrors();
  std::vector<std::string> objects;
  const std::string &name = options.name;
  for (size_t i = 0; i < table.kernels.size(); ++i) {
    if (options.progress) {
      llvm::errs() << "\rresc: compiling kernel " << i + 1 << "/"
                   << table.kernels.size() << "\x1b[K";
      llvm::errs().flush();
    }
    const KernelDesc &desc = table.kernels[i];
    std::string object = scratchFile(name + "_k" + std::to_string(i) + ".o");
    try {
      HalideKernel kernel = buildKernel(desc, kernelTarget);
      std::vector<Halide::Argument> args(kernel.inputs.begin(),
                                         kernel.inputs.end());
      kernel.pipeline.compile_to_object(
          object, args, name + "_k" + std::to_string(i), kernelTarget);
    } catch (const Halide::Error &e) {
      if (options.progress)
        llvm::errs() << "\r\x1b[K";
      reportError("Halide cannot compile the " +
                  std::string(kindName(desc.kind)) + " kernel " + desc.key() +
                  " for " + target.to_string() + ": " +
                  trimHalideMessage(e.what()));
      return false;
    }
    objects.push_back(object);
  }
  if (options.progress)
    llvm::errs() << "\r\x1b[K";

  // One Halide runtime for the target, without the kernels' features.
  std::string runtime = scratchFile(name + "_halide_runtime.o");
  try {
    Halide::compile_standalone_runtime(runtime, target);
  } catch (const Halide::Error &e) {
    reportError("Halide cannot compile its runtime for " + target.to_string() +
                ": " + trimHalideMessage(e.what()));
    return false;
  }
  objects.push_back(runtime);

  // Plan, weights and glue.
  AotSourceInfo info;
  info.name = name;
  info.target = target.to_string();
  info.source = options.source;
  info.numKernels = table.kernels.size();
  info.training = train != nullptr;
  info.planPath = scratchFile(name + "_plan.bin");
  const std::vector<uint8_t> planBytes = format::writePlan(data.plan);
  info.planSize = planBytes.size();
  info.weightsPath =
      data.weights.empty() ? "" : scratchFile(name + "_weights.bin");
  info.weightsFloats = data.weights.size();
  for (const format::NamedShape &io : data.plan.inputs)
    info.inputs.push_back({io.name, io.shape});
  for (const format::NamedShape &io : data.plan.outputs)
    info.outputs.push_back({io.name, io.shape});
  std::string dataAsm = scratchFile(name + "_data.S");
  std::string glue = scratchFile(name + "_glue.c");
  if (!writeFile(info.planPath, planBytes.data(), planBytes.size()) ||
      (!data.weights.empty() &&
       !writeFile(info.weightsPath, data.weights.data(),
                  data.weights.size() * sizeof(float))) ||
      !writeText(dataAsm, dataAssembly(info)) ||
      !writeText(glue, glueSource(info)))
    return false;
  for (const std::string &src : {dataAsm, glue}) {
    std::string object = src + ".o";
    if (!runTool("cc", {"-c", "-O2", "-fPIC", src, "-o", object}))
      return false;
    objects.push_back(object);
  }

  llvm::SmallString<128> archive(options.outputDir);
  llvm::sys::path::append(archive, "lib" + name + ".a");
  llvm::sys::fs::remove(archive);
  std::vector<std::string> arArgs = {"rcs", std::string(archive)};
  arArgs.insert(arArgs.end(), objects.begin(), objects.end());
  if (!runTool("ar", arArgs))
    return false;
  llvm::SmallString<128> header(options.outputDir);
  llvm::sys::path::append(header, name + ".h");
  if (!writeText(std::string(header), headerSource(info)))
    return false;
  if (options.verbose)
    llvm::errs() << "resc: wrote " << archive << " (" << table.kernels.size()
                 << " kernels, "
                 << (data.weights.empty()
                         ? std::string("no embedded weights")
                         : std::to_string(data.weights.size() * 4) +
                               " bytes of packed weights")
                 << ") and " << header << "\n";
  return true;
}

} // namespace resc::aot
