// The C API of resc_runtime.h: an instance owns the parsed plan, the packed
// parameters and the arena, and runs the plan's kernel calls through the
// Halide-generated `_argv` entry points of the library.
//
// Only HalideRuntime.h is used: the Halide runtime itself is an object in
// every generated library (its symbols are weak, so the copies of several
// libraries become one; docs/aot.md).
#include "resc/resc_runtime.h"

#include "DeviceBuffers.h"
#include "format/ModelFormat.h"
#include "format/ModelPlan.h"
#include "format/WeightBinding.h"
#include "resc/Safetensors.h"
#include "runtime/executor/Executor.h"

#include <HalideRuntime.h>

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <set>
#include <string>
#include <vector>

namespace format = resc::format;
using format::KernelRec;
using format::ModelPlan;
using format::StepRec;

namespace {

/// Where Halide's error handler puts a kernel's message: one per instance
/// (an instance runs one call at a time), passed as the kernels' user
/// context.
struct CallContext {
  std::string message;
};

// Halide's handler is process-wide and gets only the user context, which
// other Halide code in the app may use for its own types. The handler
// writes only into contexts it finds in this registry; others are printed,
// which is Halide's default minus the abort.
std::mutex registryMutex;
std::set<const CallContext *> &registry() {
  static std::set<const CallContext *> contexts;
  return contexts;
}

void onHalideError(void *userContext, const char *message) {
  const char *text = message ? message : "unknown Halide error";
  {
    std::lock_guard<std::mutex> lock(registryMutex);
    auto *context = static_cast<CallContext *>(userContext);
    if (context && registry().count(context)) {
      // Keep the first message: later ones tend to follow from it.
      if (context->message.empty())
        context->message = text;
      return;
    }
  }
  std::fputs(text, stderr);
}

void installErrorHandler() {
  static std::once_flag once;
  std::call_once(once, [] { halide_set_error_handler(&onHalideError); });
}

/// Halide prefixes "Error: " and ends with newlines.
std::string trimMessage(std::string m) {
  const std::string prefix = "Error: ";
  if (m.compare(0, prefix.size(), prefix) == 0)
    m.erase(0, prefix.size());
  while (!m.empty() && (m.back() == '\n' || m.back() == ' '))
    m.pop_back();
  return m;
}

thread_local std::string threadError;

resc_status failNoModel(resc_status status, std::string message) {
  threadError = std::move(message);
  return status;
}

std::string shapeString(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") +
         (shape[i] < 0 ? std::string("N") : std::to_string(shape[i]));
  return s + "]";
}

} // namespace

/// The embedded weights of `def` in anonymous memory, one copy shared by
/// the instances of that library in this process. The kernels read them
/// there rather than from the library's read-only data, a file-backed
/// mapping: ResNet-50 at batch 8 on two threads ran 180-250 ms (median
/// over runs, outliers to 340) reading the mapped file and a steady
/// 178-190 ms reading the copy, as fast as the JIT. The copied pages of the
/// file are dropped again as the copy goes, so the process's resident
/// memory holds the weights about once.
static std::shared_ptr<const format::AlignedFloats>
embeddedCopy(const resc_model_def *def) {
  static std::mutex mutex;
  static std::map<const resc_model_def *,
                  std::weak_ptr<const format::AlignedFloats>>
      copies;
  std::lock_guard<std::mutex> lock(mutex);
  std::weak_ptr<const format::AlignedFloats> &slot = copies[def];
  if (auto copy = slot.lock())
    return copy;
  auto copy =
      std::make_shared<format::AlignedFloats>(size_t(def->weights_floats));
  const size_t chunk = size_t(1) << 20; // floats: 4 MB
  const long page = sysconf(_SC_PAGESIZE);
  for (size_t at = 0; at < copy->size(); at += chunk) {
    const size_t n = std::min(chunk, copy->size() - at);
    const float *from = def->weights + at;
    std::copy(from, from + n, copy->data() + at);
    // Whole pages of the chunk only; never written, so they are read from
    // the file again should anything touch them.
    uintptr_t begin =
                  (reinterpret_cast<uintptr_t>(from) + page - 1) / page * page,
              end = reinterpret_cast<uintptr_t>(from + n) / page * page;
    if (end > begin)
      madvise(reinterpret_cast<void *>(begin), end - begin, MADV_DONTNEED);
  }
  slot = copy;
  return copy;
}

struct resc_model : resc::exec::KernelTable {
  const resc_model_def *def = nullptr;
  ModelPlan plan;
  /// Packed parameters: owned when loaded at creation, otherwise pointers
  /// into the library's embedded weights.
  std::vector<format::AlignedFloats> owned;
  /// The library's embedded weights, copied (embeddedCopy).
  std::shared_ptr<const format::AlignedFloats> embedded;
  std::vector<const float *> packed;
  resc::exec::Executor executor;
  resc::exec::Arena arena;
  /// Unbatched activations by slot (none in most inference plans).
  std::vector<std::vector<float>> unbatched;
  CallContext context;
  std::string error;
  mutable std::mutex mutex;
  /// A library for a GPU target keeps its tensors on the device for a run.
  bool gpu = false;
  resc::aot::DeviceBuffers device;
  /// The training plan's device tensors live from train_forward to the end
  /// of backward (the saved activations), apart from inference runs.
  resc::aot::DeviceBuffers trainDevice;

  resc_status fail(resc_status status, std::string message) {
    error = std::move(message);
    threadError = error;
    return status;
  }

  /// `strict`: tensors the model does not have are an error.
  resc_status loadWeights(const resc::TensorMap &tensors,
                          const std::map<std::string, std::string> &others,
                          const std::string &source, bool strict = true);
  resc_status useEmbedded();
  resc_status run(const float *const *inputs, int64_t batch,
                  float *const *outputs);
  /// Runs `steps` of section `p` with the executor.
  resc_status execute(const ModelPlan &p, const std::vector<StepRec> &steps,
                      std::vector<float *> &ptr, int64_t batch);
  /// The executor's kernel calls: the library's `_argv` entry points, with
  /// this instance's context and, on a GPU target, device buffers.
  bool call(const ModelPlan &p, const StepRec &step, halide_buffer_t *bufs,
            size_t n, std::string &message) override;

  // Training libraries: the instance's own raw parameters (what an
  // optimiser updates), their gradients, and the state kept between
  // train_forward and backward.
  resc::TensorMap raw;
  std::map<std::string, std::vector<float>> grads;
  /// The packed inference weights are stale (parameters changed).
  bool stale = false;
  resc::exec::Arena trainArena;
  /// Storage of the training plan's inputs, outputs and unbatched tensors
  /// by slot: the backward pass may read any of them.
  std::vector<std::vector<float>> trainOwned;
  std::vector<float *> trainPtr;
  std::vector<format::AlignedFloats> trainPacked;
  int64_t trainedBatch = 0;

  resc_status initTraining(const resc::TensorMap *tensors);
  resc_status requireTraining();
  /// The checks of run and trainForward: batch size and null pointers;
  /// `section` is the plan about to run.
  resc_status checkRunArguments(const float *const *inputs, int64_t batch,
                                float *const *outputs,
                                const ModelPlan &section);
  resc_status trainForward(const float *const *inputs, int64_t batch,
                           float *const *outputs);
  resc_status backward(const float *const *gradOutputs, float *const *gradIn);
  resc_status repack();
  /// Copies the training outputs of `role` back from the device.
  resc_status trainOutputsToHost(uint8_t role);
};

resc_status
resc_model::loadWeights(const resc::TensorMap &tensors,
                        const std::map<std::string, std::string> &others,
                        const std::string &source, bool strict) {
  // Every parameter the recipes read, checked by name, shape and dtype
  // before any packing, by the rules `resc --weights` follows, so that both
  // say the same about a file.
  std::vector<format::WantedParam> wanted;
  for (const format::NamedShape &p : plan.params)
    wanted.push_back({p.name, p.shape});
  format::WeightCheckOptions options;
  options.strict = strict;
  options.nonStrictHint =
      "create the instance with resc_create_options.non_strict to ignore them";
  if (plan.train)
    for (const format::TrainParamRec &p : plan.train->trainParams)
      options.known.insert(p.name);
  format::WeightCheck check =
      format::checkWeights(wanted, tensors, others, source, options);
  if (!check.ok()) {
    // A library compiled with its weights reads the folded parameters that
    // res-fold-bn made of them, which no checkpoint has.
    for (const format::WantedParam &p : wanted) {
      const std::string folded = ".bn_folded";
      if (p.name.size() > folded.size() &&
          p.name.compare(p.name.size() - folded.size(), folded.size(),
                         folded) == 0 &&
          !tensors.count(p.name))
        return fail(RESC_ERROR_WEIGHTS,
                    source + ": model '" + def->name +
                        "' was compiled with its weights (resc compile "
                        "--weights): it reads the batch norms folded into "
                        "its layers (such as '" +
                        p.name +
                        "'), which a checkpoint does not have; create it with "
                        "the weights it embeds, or compile it without "
                        "--weights to load checkpoints at creation");
    }
    std::string message = check.errors[0];
    if (check.errors.size() > 1)
      message += " (and " + std::to_string(check.errors.size() - 1) +
                 " more problems)";
    return fail(RESC_ERROR_WEIGHTS, message);
  }
  format::ParamLookup lookup =
      [&](const std::string &name) -> const resc::Tensor * {
    auto it = tensors.find(name);
    return it == tensors.end() ? nullptr : &it->second;
  };
  owned.assign(plan.recipes.size(), {});
  packed.assign(plan.recipes.size(), nullptr);
  for (size_t i = 0; i < plan.recipes.size(); ++i) {
    std::string message;
    if (!format::packParam(plan.recipes[i].recipe, lookup, owned[i], message))
      return fail(RESC_ERROR_WEIGHTS,
                  "cannot prepare the weights of " + source + ": " + message);
    if (int64_t(owned[i].size()) != plan.recipes[i].floats)
      return fail(RESC_ERROR_WEIGHTS,
                  "a packed parameter of " + source + " has " +
                      std::to_string(owned[i].size()) + " values, expected " +
                      std::to_string(plan.recipes[i].floats));
    packed[i] = owned[i].data();
  }
  return RESC_OK;
}

resc_status resc_model::useEmbedded() {
  packed.assign(plan.recipes.size(), nullptr);
  for (size_t i = 0; i < plan.recipes.size(); ++i) {
    const format::RecipeRec &r = plan.recipes[i];
    if (!def->weights || r.embeddedOffset < 0)
      return fail(RESC_ERROR_WEIGHTS,
                  std::string("model '") + def->name +
                      "' was compiled without weights; create it from a "
                      "safetensors file or memory");
    if (uint64_t(r.embeddedOffset + r.floats) > def->weights_floats)
      return fail(RESC_ERROR_BAD_LIBRARY,
                  "the library's embedded weights are truncated");
    if (!embedded)
      embedded = embeddedCopy(def);
    packed[i] = embedded->data() + r.embeddedOffset;
  }
  return RESC_OK;
}

bool resc_model::call(const ModelPlan &p, const StepRec &step,
                      halide_buffer_t *bufs, size_t n, std::string &message) {
  // The user context is passed by address, like every scalar of an argv
  // call; buffers are passed as themselves.
  std::vector<void *> args(n + 1);
  void *userContext = &context;
  args[0] = &userContext;
  for (size_t i = 0; i < n; ++i) {
    args[i + 1] = &bufs[i];
    if (gpu) {
      const bool isResult = i + 1 == n;
      const int slot = isResult ? step.result : step.operands[i];
      const int kind = p.slots[slot].kind;
      // The training plan's parameters are packed again at every
      // train_forward, so they go up once per step like inputs.
      const bool training = &p != &plan;
      using Role = resc::aot::DeviceBuffers::Role;
      Role role = kind == format::SlotParam
                      ? (training ? Role::Input : Role::Parameter)
                  : kind == format::SlotInput ? Role::Input
                                              : Role::Activation;
      args[i + 1] =
          (training ? trainDevice : device)
              .get(userContext, reinterpret_cast<float *>(bufs[i].host),
                   bufs[i].dim, bufs[i].dimensions, role);
    }
  }
  context.message.clear();
  int code = def->kernels[step.kernel](args.data());
  if (code == 0)
    return true;
  message = trimMessage(context.message);
  if (message.empty())
    message = "Halide error code " + std::to_string(code);
  return false;
}

resc_status resc_model::execute(const ModelPlan &p,
                                const std::vector<StepRec> &steps,
                                std::vector<float *> &ptr, int64_t batch) {
  std::string message;
  if (!executor.execute(p, steps, ptr, batch, *this, message))
    return fail(RESC_ERROR_KERNEL, message);
  return RESC_OK;
}

resc_status resc_model::checkRunArguments(const float *const *inputs,
                                          int64_t batch, float *const *outputs,
                                          const ModelPlan &section) {
  std::string message;
  if (!resc::exec::Executor::checkBatch(section, batch, message))
    return fail(RESC_ERROR_INVALID_ARGUMENT, message);
  if (!inputs || !outputs)
    return fail(RESC_ERROR_NULL_POINTER,
                inputs ? "outputs is NULL" : "inputs is NULL");
  for (size_t i = 0; i < plan.inputs.size(); ++i)
    if (!inputs[i])
      return fail(RESC_ERROR_NULL_POINTER,
                  "input '" + plan.inputs[i].name + "' is NULL");
  for (size_t i = 0; i < plan.outputs.size(); ++i)
    if (!outputs[i])
      return fail(RESC_ERROR_NULL_POINTER,
                  "output '" + plan.outputs[i].name + "' is NULL");
  return RESC_OK;
}

resc_status resc_model::run(const float *const *inputs, int64_t batch,
                            float *const *outputs) {
  if (resc_status s = checkRunArguments(inputs, batch, outputs, plan))
    return s;
  if (stale)
    if (resc_status s = repack())
      return s;
  std::vector<float *> ptr;
  std::string message;
  if (!resc::exec::Executor::bindSlots(plan, batch, {inputs, outputs, &packed},
                                       arena, unbatched, ptr, message))
    return fail(RESC_ERROR_OUT_OF_MEMORY, message);
  error.clear();
  resc_status status = execute(plan, plan.steps, ptr, batch);
  if (gpu) {
    // The outputs come back from the device; nothing else does.
    for (size_t i = 0; i < plan.slots.size() && status == RESC_OK; ++i)
      if (plan.slots[i].kind == format::SlotOutput) {
        context.message.clear();
        if (int code = device.copyToHost(&context, ptr[i]))
          status = fail(
              RESC_ERROR_KERNEL,
              "copying output '" + plan.outputs[plan.slots[i].index].name +
                  "' from the device failed: " + trimMessage(context.message) +
                  " (code " + std::to_string(code) + ")");
      }
    device.endRun(&context);
  }
  return status;
}

resc_status resc_model::initTraining(const resc::TensorMap *tensors) {
  const ModelPlan &t = *plan.train;
  for (const format::TrainParamRec &p : t.trainParams) {
    resc::Tensor copy(p.shape);
    if (tensors) {
      auto it = tensors->find(p.name);
      if (it == tensors->end() || it->second.shape != p.shape)
        return fail(RESC_ERROR_WEIGHTS, "missing or mis-shaped parameter '" +
                                            p.name + "' (the model expects " +
                                            shapeString(p.shape) + ")");
      copy.data = it->second.data;
    } else {
      if (!def->weights || p.embeddedOffset < 0 ||
          uint64_t(p.embeddedOffset + p.count) > def->weights_floats)
        return fail(RESC_ERROR_WEIGHTS,
                    std::string("model '") + def->name +
                        "' has no embedded raw parameter '" + p.name + "'");
      copy.data.assign(def->weights + p.embeddedOffset,
                       def->weights + p.embeddedOffset + p.count);
    }
    raw[p.name] = std::move(copy);
    if (p.trainable)
      grads[p.name].assign(size_t(p.count), 0.0f);
  }
  trainOwned.assign(t.slots.size(), {});
  for (size_t i = 0; i < t.slots.size(); ++i)
    if (!t.slots[i].batched && t.slots[i].kind == format::SlotActivation)
      trainOwned[i].assign(size_t(t.slots[i].perSample), 0.0f);
  return RESC_OK;
}

resc_status resc_model::requireTraining() {
  if (!plan.train)
    return fail(RESC_ERROR_INVALID_ARGUMENT,
                std::string("model '") + def->name +
                    "': this library was compiled without --train");
  return RESC_OK;
}

resc_status resc_model::trainOutputsToHost(uint8_t role) {
  const ModelPlan &t = *plan.train;
  for (size_t i = 0; i < t.outputs.size(); ++i) {
    if (t.roles[i] != role)
      continue;
    context.message.clear();
    if (int code =
            trainDevice.copyToHost(&context, trainPtr[t.outputs[i].slot]))
      return fail(
          RESC_ERROR_KERNEL,
          "copying '" + t.outputs[i].name +
              "' from the device failed: " + trimMessage(context.message) +
              " (code " + std::to_string(code) + ")");
  }
  return RESC_OK;
}

resc_status resc_model::repack() {
  // The device keeps parameters by host address, and the new packing may
  // reuse an old address: every device copy goes, to be uploaded afresh.
  if (gpu)
    device.releaseAll(&context);
  if (resc_status s = loadWeights(raw, {}, "the instance's parameters"))
    return s;
  stale = false;
  return RESC_OK;
}

resc_status resc_model::trainForward(const float *const *inputs, int64_t batch,
                                     float *const *outputs) {
  if (resc_status s = requireTraining())
    return s;
  const ModelPlan &t = *plan.train;
  if (resc_status s = checkRunArguments(inputs, batch, outputs, t))
    return s;
  trainedBatch = 0;
  if (gpu) // a train_forward without its backward left these
    trainDevice.endRun(&context);
  // The forward convolutions read packed weights: packed again from the
  // parameters as they are now, so an optimiser's update needs no call.
  trainPacked.resize(t.recipes.size());
  format::ParamLookup lookup =
      [&](const std::string &name) -> const resc::Tensor * {
    auto it = raw.find(name);
    return it == raw.end() ? nullptr : &it->second;
  };
  for (size_t i = 0; i < t.recipes.size(); ++i) {
    if (t.recipes[i].recipe.kind == format::PackRecipe::Raw)
      continue;
    std::string message;
    if (!format::packParam(t.recipes[i].recipe, lookup, trainPacked[i],
                           message))
      return fail(RESC_ERROR_WEIGHTS,
                  "cannot prepare the training weights: " + message);
    if (int64_t(trainPacked[i].size()) != t.recipes[i].floats)
      return fail(RESC_ERROR_BAD_LIBRARY,
                  "a packed training parameter has " +
                      std::to_string(trainPacked[i].size()) +
                      " values, expected " +
                      std::to_string(t.recipes[i].floats));
  }
  if (!trainArena.reserve(
          size_t(batch * std::max<int64_t>(t.arenaPerSample, 1))))
    return fail(RESC_ERROR_OUT_OF_MEMORY,
                "cannot allocate the training arena of " +
                    std::to_string(batch * t.arenaPerSample * 4) + " bytes");
  trainPtr.assign(t.slots.size(), nullptr);
  for (size_t i = 0; i < t.slots.size(); ++i) {
    const format::SlotRec &s = t.slots[i];
    switch (s.kind) {
    case format::SlotActivation:
      if (!s.batched)
        trainPtr[i] = trainOwned[i].data();
      else if (s.offset >= 0)
        trainPtr[i] = trainArena.data() + batch * s.offset;
      break;
    case format::SlotParam:
      trainPtr[i] = t.recipes[s.index].recipe.kind == format::PackRecipe::Raw
                        ? raw[t.recipes[s.index].recipe.weight].data.data()
                        : trainPacked[s.index].data();
      break;
    case format::SlotInput:
      // Inputs are copied: the backward pass reads them after the caller's
      // buffers may have changed. Output gradients come with backward.
      if (size_t(s.index) < plan.inputs.size()) {
        trainOwned[i].assign(inputs[s.index],
                             inputs[s.index] + batch * s.perSample);
        trainPtr[i] = trainOwned[i].data();
      }
      break;
    case format::SlotOutput: {
      const uint8_t role = t.roles[s.index];
      if (role == format::RoleParamGrad) {
        trainPtr[i] = grads[t.outputs[s.index].name].data();
      } else {
        trainOwned[i].resize(
            size_t(s.batched ? batch * s.perSample : s.perSample));
        trainPtr[i] = trainOwned[i].data();
      }
      break;
    }
    default:
      break;
    }
  }
  error.clear();
  resc_status status = execute(t, t.steps, trainPtr, batch);
  if (gpu && status == RESC_OK)
    status = trainOutputsToHost(format::RoleOutput);
  if (gpu && status == RESC_OK)
    status = trainOutputsToHost(format::RoleRunningStat);
  if (status != RESC_OK) {
    if (gpu)
      trainDevice.endRun(&context);
    return status;
  }
  // Outputs to the caller; new running statistics into the parameters.
  for (size_t i = 0; i < t.outputs.size(); ++i) {
    const int32_t slot = t.outputs[i].slot;
    const std::vector<float> &v = trainOwned[slot];
    if (t.roles[i] == format::RoleOutput && i < plan.outputs.size())
      std::copy(v.begin(), v.end(), outputs[i]);
    else if (t.roles[i] == format::RoleRunningStat) {
      std::vector<float> &dst = raw[t.outputs[i].name].data;
      std::copy(v.begin(), v.begin() + dst.size(), dst.begin());
      stale = true;
    }
  }
  trainedBatch = batch;
  return RESC_OK;
}

resc_status resc_model::backward(const float *const *gradOutputs,
                                 float *const *gradInputs) {
  if (resc_status s = requireTraining())
    return s;
  const ModelPlan &t = *plan.train;
  if (trainedBatch == 0)
    return fail(RESC_ERROR_INVALID_ARGUMENT,
                "backward needs a train_forward first (each backward "
                "consumes the activations of one train_forward)");
  if (!gradOutputs)
    return fail(RESC_ERROR_NULL_POINTER, "grad_outputs is NULL");
  for (size_t i = 0; i < plan.outputs.size(); ++i)
    if (!gradOutputs[i])
      return fail(RESC_ERROR_NULL_POINTER, "the gradient of output '" +
                                               plan.outputs[i].name +
                                               "' is NULL");
  const int64_t batch = trainedBatch;
  for (size_t i = 0; i < t.slots.size(); ++i) {
    const format::SlotRec &s = t.slots[i];
    if (s.kind == format::SlotInput && size_t(s.index) >= plan.inputs.size())
      trainPtr[i] =
          const_cast<float *>(gradOutputs[s.index - plan.inputs.size()]);
  }
  // The arena's saved activations are overwritten as the pass goes.
  trainedBatch = 0;
  error.clear();
  resc_status status = execute(t, t.backward, trainPtr, batch);
  if (gpu) {
    if (status == RESC_OK)
      status = trainOutputsToHost(format::RoleParamGrad);
    if (status == RESC_OK)
      status = trainOutputsToHost(format::RoleInputGrad);
    trainDevice.endRun(&context);
  }
  if (status != RESC_OK)
    return status;
  size_t input = 0;
  for (size_t i = 0; i < t.outputs.size(); ++i)
    if (t.roles[i] == format::RoleInputGrad) {
      if (gradInputs && gradInputs[input]) {
        const std::vector<float> &v = trainOwned[t.outputs[i].slot];
        std::copy(v.begin(), v.end(), gradInputs[input]);
      }
      ++input;
    }
  return RESC_OK;
}

extern "C" {

resc_status resc_model_create(const resc_model_def *def,
                              const char *weights_path,
                              const void *weights_data, size_t weights_size,
                              resc_model **out) {
  return resc_model_create_with_options(def, weights_path, weights_data,
                                        weights_size, nullptr, out);
}

resc_status resc_model_create_with_options(const resc_model_def *def,
                                           const char *weights_path,
                                           const void *weights_data,
                                           size_t weights_size,
                                           const resc_create_options *options,
                                           resc_model **out) {
  const bool strict = !options || options->non_strict == 0;
  if (!out)
    return failNoModel(RESC_ERROR_NULL_POINTER, "out is NULL");
  *out = nullptr;
  if (!def)
    return failNoModel(RESC_ERROR_NULL_POINTER, "the model definition is NULL");
  if (def->abi != RESC_MODEL_DEF_ABI)
    return failNoModel(RESC_ERROR_BAD_LIBRARY,
                       "the library was written by another resc version "
                       "(definition ABI " +
                           std::to_string(def->abi) + ", runtime " +
                           std::to_string(RESC_MODEL_DEF_ABI) + ")");
  installErrorHandler();
  resc_model *model = new (std::nothrow) resc_model;
  if (!model)
    return failNoModel(RESC_ERROR_OUT_OF_MEMORY, "out of memory");
  model->def = def;
  model->gpu = resc::aot::isGpuTarget(def->target);
  resc_status status = RESC_OK;
  try {
    std::string message;
    if (!format::parsePlan(def->plan, size_t(def->plan_size), def->num_kernels,
                           model->plan, message)) {
      status = model->fail(RESC_ERROR_BAD_LIBRARY, message);
    } else if (weights_path || weights_data) {
      resc::TensorMap tensors;
      std::map<std::string, std::string> others;
      std::string source = weights_path ? std::string(weights_path)
                                        : std::string("the weights in memory");
      bool read =
          weights_path
              ? resc::readSafetensors(weights_path, tensors, others, message)
              : resc::readSafetensorsFromMemory(
                    static_cast<const uint8_t *>(weights_data), weights_size,
                    source, tensors, others, message);
      status = read ? model->loadWeights(tensors, others, source, strict)
                    : model->fail(RESC_ERROR_WEIGHTS, message);
      if (status == RESC_OK && model->plan.train)
        status = model->initTraining(&tensors);
    } else {
      status = model->useEmbedded();
      if (status == RESC_OK && model->plan.train)
        status = model->initTraining(nullptr);
    }
  } catch (const std::bad_alloc &) {
    status = model->fail(RESC_ERROR_OUT_OF_MEMORY, "out of memory");
  }
  if (status != RESC_OK) {
    delete model;
    return status; // the message is in threadError
  }
  {
    std::lock_guard<std::mutex> lock(registryMutex);
    registry().insert(&model->context);
  }
  *out = model;
  return RESC_OK;
}

resc_status resc_model_create_from_file(const resc_model_def *def,
                                        const char *weights_path,
                                        resc_model **out) {
  if (out)
    *out = nullptr;
  if (!weights_path)
    return failNoModel(RESC_ERROR_NULL_POINTER, "the weights path is NULL");
  return resc_model_create(def, weights_path, nullptr, 0, out);
}

resc_status resc_model_create_from_memory(const resc_model_def *def,
                                          const void *weights_data,
                                          size_t weights_size,
                                          resc_model **out) {
  if (out)
    *out = nullptr;
  if (!weights_data)
    return failNoModel(RESC_ERROR_NULL_POINTER, "the weights data is NULL");
  return resc_model_create(def, nullptr, weights_data, weights_size, out);
}

resc_status resc_model_destroy(resc_model *model) {
  if (!model)
    return failNoModel(RESC_ERROR_NULL_POINTER, "model is NULL");
  // Device memory first, while Halide's errors still reach this instance.
  if (model->gpu) {
    model->device.releaseAll(&model->context);
    model->trainDevice.releaseAll(&model->context);
  }
  {
    std::lock_guard<std::mutex> lock(registryMutex);
    registry().erase(&model->context);
  }
  delete model;
  return RESC_OK;
}

const char *resc_model_error_message(const resc_model *model) {
  if (!model)
    return threadError.c_str();
  // Calls on one instance are serialised (resc_runtime.h): a reader on
  // another thread must not see the string while a failing call rewrites it.
  std::lock_guard<std::mutex> lock(model->mutex);
  return model->error.c_str();
}

const resc_model_def *resc_model_definition(const resc_model *model) {
  return model ? model->def : nullptr;
}

resc_status resc_model_check_definition(resc_model *model,
                                        const resc_model_def *def) {
  if (!model)
    return failNoModel(RESC_ERROR_NULL_POINTER, "model is NULL");
  if (!def)
    return failNoModel(RESC_ERROR_NULL_POINTER, "the model definition is NULL");
  if (model->def == def)
    return RESC_OK;
  std::lock_guard<std::mutex> lock(model->mutex);
  return model->fail(RESC_ERROR_INVALID_ARGUMENT,
                     std::string("the instance is of model '") +
                         model->def->name + "', not '" + def->name + "'");
}

resc_status resc_model_run(resc_model *model, const float *const *inputs,
                           int64_t batch, float *const *outputs) {
  if (!model)
    return failNoModel(RESC_ERROR_NULL_POINTER, "model is NULL");
  std::lock_guard<std::mutex> lock(model->mutex);
  try {
    return model->run(inputs, batch, outputs);
  } catch (const std::bad_alloc &) {
    return model->fail(RESC_ERROR_OUT_OF_MEMORY, "out of memory");
  }
}

resc_status resc_model_run_tensors(resc_model *model, const resc_tensor *inputs,
                                   size_t num_inputs, resc_tensor *outputs,
                                   size_t num_outputs) {
  if (!model)
    return failNoModel(RESC_ERROR_NULL_POINTER, "model is NULL");
  std::lock_guard<std::mutex> lock(model->mutex);
  const ModelPlan &plan = model->plan;
  if ((!inputs && num_inputs) || (!outputs && num_outputs))
    return model->fail(RESC_ERROR_NULL_POINTER,
                       inputs ? "outputs is NULL" : "inputs is NULL");
  if (num_inputs != plan.inputs.size() || num_outputs != plan.outputs.size())
    return model->fail(RESC_ERROR_INVALID_ARGUMENT,
                       "the model takes " + std::to_string(plan.inputs.size()) +
                           " inputs and " +
                           std::to_string(plan.outputs.size()) +
                           " outputs, got " + std::to_string(num_inputs) +
                           " and " + std::to_string(num_outputs));
  int64_t batch = -1;
  std::vector<const float *> in;
  std::vector<float *> outs;
  auto check = [&](const resc_tensor &t, const format::NamedShape &want,
                   const char *what) -> resc_status {
    std::vector<int64_t> got;
    if (t.rank >= 0 && t.rank <= RESC_MAX_RANK)
      got.assign(t.shape, t.shape + t.rank);
    bool fits = t.rank >= 1 && size_t(t.rank) == want.shape.size();
    for (size_t d = 1; fits && d < want.shape.size(); ++d)
      fits = want.shape[d] < 0 || got[d] == want.shape[d];
    if (!fits)
      return model->fail(RESC_ERROR_INVALID_ARGUMENT,
                         std::string(what) + " '" + want.name + "' has shape " +
                             shapeString(got) + " but the model expects " +
                             shapeString(want.shape));
    if (batch >= 0 && got[0] != batch)
      return model->fail(RESC_ERROR_INVALID_ARGUMENT,
                         std::string(what) + " '" + want.name + "' has batch " +
                             std::to_string(got[0]) + ", the others " +
                             std::to_string(batch));
    batch = got[0];
    return RESC_OK;
  };
  for (size_t i = 0; i < num_inputs; ++i) {
    if (resc_status s = check(inputs[i], plan.inputs[i], "input"))
      return s;
    in.push_back(inputs[i].data);
  }
  for (size_t i = 0; i < num_outputs; ++i) {
    if (resc_status s = check(outputs[i], plan.outputs[i], "output"))
      return s;
    outs.push_back(outputs[i].data);
  }
  try {
    return model->run(in.data(), batch, outs.data());
  } catch (const std::bad_alloc &) {
    return model->fail(RESC_ERROR_OUT_OF_MEMORY, "out of memory");
  }
}

#define RESC_CHECK_MODEL(model, ...)                                           \
  if (!(model) || !(__VA_ARGS__))                                              \
    return failNoModel(RESC_ERROR_NULL_POINTER,                                \
                       (model) ? "an output pointer is NULL"                   \
                               : "model is NULL");

resc_status resc_model_num_inputs(const resc_model *model, size_t *count) {
  RESC_CHECK_MODEL(model, count);
  *count = model->plan.inputs.size();
  return RESC_OK;
}

resc_status resc_model_num_outputs(const resc_model *model, size_t *count) {
  RESC_CHECK_MODEL(model, count);
  *count = model->plan.outputs.size();
  return RESC_OK;
}

static resc_status namedAt(const resc_model *model,
                           const std::vector<format::NamedShape> &list,
                           size_t index, const format::NamedShape **out) {
  if (index >= list.size())
    return failNoModel(RESC_ERROR_INVALID_ARGUMENT,
                       "index " + std::to_string(index) +
                           " is out of range (the model has " +
                           std::to_string(list.size()) + ")");
  (void)model;
  *out = &list[index];
  return RESC_OK;
}

resc_status resc_model_input_name(const resc_model *model, size_t index,
                                  const char **name) {
  RESC_CHECK_MODEL(model, name);
  const format::NamedShape *v;
  if (resc_status s = namedAt(model, model->plan.inputs, index, &v))
    return s;
  *name = v->name.c_str();
  return RESC_OK;
}

resc_status resc_model_output_name(const resc_model *model, size_t index,
                                   const char **name) {
  RESC_CHECK_MODEL(model, name);
  const format::NamedShape *v;
  if (resc_status s = namedAt(model, model->plan.outputs, index, &v))
    return s;
  *name = v->name.c_str();
  return RESC_OK;
}

static resc_status shapeOf(const format::NamedShape &v, int32_t *rank,
                           int64_t *dims) {
  *rank = int32_t(v.shape.size());
  for (size_t d = 0; d < v.shape.size() && d < RESC_MAX_RANK; ++d)
    dims[d] = v.shape[d];
  return RESC_OK;
}

resc_status resc_model_input_shape(const resc_model *model, size_t index,
                                   int32_t *rank, int64_t *dims) {
  RESC_CHECK_MODEL(model, rank && dims);
  const format::NamedShape *v;
  if (resc_status s = namedAt(model, model->plan.inputs, index, &v))
    return s;
  return shapeOf(*v, rank, dims);
}

resc_status resc_model_output_shape(const resc_model *model, size_t index,
                                    int32_t *rank, int64_t *dims) {
  RESC_CHECK_MODEL(model, rank && dims);
  const format::NamedShape *v;
  if (resc_status s = namedAt(model, model->plan.outputs, index, &v))
    return s;
  return shapeOf(*v, rank, dims);
}

resc_status resc_set_num_threads(int threads) {
  if (threads < 0)
    return failNoModel(RESC_ERROR_INVALID_ARGUMENT,
                       "the thread count must be 0 (default) or more, got " +
                           std::to_string(threads));
  // Halide cannot shrink a running pool (halide/Halide#5910): shut it down;
  // the next kernel starts a pool of the new size.
  halide_shutdown_thread_pool();
  halide_set_num_threads(threads);
  return RESC_OK;
}

resc_status resc_model_set_profiling(resc_model *model, int enabled) {
  RESC_CHECK_MODEL(model, true);
  std::lock_guard<std::mutex> lock(model->mutex);
  model->executor.setProfiling(enabled != 0);
  return RESC_OK;
}

resc_status resc_model_profile_size(const resc_model *model, size_t *rows) {
  RESC_CHECK_MODEL(model, rows);
  std::lock_guard<std::mutex> lock(model->mutex);
  *rows = model->executor.profile().size();
  return RESC_OK;
}

resc_status resc_model_profile_row(const resc_model *model, size_t row,
                                   const char **layer, const char **kernel,
                                   int64_t *calls, double *seconds,
                                   double *flops) {
  RESC_CHECK_MODEL(model, layer && kernel && calls && seconds && flops);
  std::lock_guard<std::mutex> lock(model->mutex);
  if (row >= model->executor.profile().size())
    return failNoModel(RESC_ERROR_INVALID_ARGUMENT, "profile row " +
                                                        std::to_string(row) +
                                                        " is out of range");
  const resc::exec::ProfileRow &r = model->executor.profile()[row];
  *layer = r.layer.c_str();
  *kernel = r.kernel.c_str();
  *calls = r.calls;
  *seconds = r.seconds;
  *flops = r.flops;
  return RESC_OK;
}

resc_status resc_model_train_forward(resc_model *model,
                                     const float *const *inputs, int64_t batch,
                                     float *const *outputs) {
  RESC_CHECK_MODEL(model, true);
  std::lock_guard<std::mutex> lock(model->mutex);
  try {
    return model->trainForward(inputs, batch, outputs);
  } catch (const std::bad_alloc &) {
    return model->fail(RESC_ERROR_OUT_OF_MEMORY, "out of memory");
  }
}

resc_status resc_model_backward(resc_model *model,
                                const float *const *grad_outputs,
                                float *const *grad_inputs) {
  RESC_CHECK_MODEL(model, true);
  std::lock_guard<std::mutex> lock(model->mutex);
  try {
    return model->backward(grad_outputs, grad_inputs);
  } catch (const std::bad_alloc &) {
    return model->fail(RESC_ERROR_OUT_OF_MEMORY, "out of memory");
  }
}

resc_status resc_model_num_parameters(const resc_model *model, size_t *count) {
  RESC_CHECK_MODEL(model, count);
  auto *m = const_cast<resc_model *>(model);
  std::lock_guard<std::mutex> lock(m->mutex);
  if (resc_status s = m->requireTraining())
    return s;
  *count = model->plan.train->trainParams.size();
  return RESC_OK;
}

resc_status resc_model_parameter(resc_model *model, size_t index,
                                 const char **name, float **data,
                                 const float **grad, int64_t *count,
                                 int32_t *trainable) {
  RESC_CHECK_MODEL(model, name && data && grad && count && trainable);
  std::lock_guard<std::mutex> lock(model->mutex);
  if (resc_status s = model->requireTraining())
    return s;
  const auto &params = model->plan.train->trainParams;
  if (index >= params.size())
    return model->fail(RESC_ERROR_INVALID_ARGUMENT,
                       "parameter index " + std::to_string(index) +
                           " is out of range (the model has " +
                           std::to_string(params.size()) + ")");
  const format::TrainParamRec &p = params[index];
  *name = p.name.c_str();
  *data = model->raw[p.name].data.data();
  auto g = model->grads.find(p.name);
  *grad = g == model->grads.end() ? nullptr : g->second.data();
  *count = p.count;
  *trainable = p.trainable ? 1 : 0;
  return RESC_OK;
}

resc_status resc_model_parameters_changed(resc_model *model) {
  RESC_CHECK_MODEL(model, true);
  std::lock_guard<std::mutex> lock(model->mutex);
  if (resc_status s = model->requireTraining())
    return s;
  try {
    return model->repack();
  } catch (const std::bad_alloc &) {
    return model->fail(RESC_ERROR_OUT_OF_MEMORY, "out of memory");
  }
}

resc_status resc_model_save_weights(const resc_model *model, const char *path) {
  RESC_CHECK_MODEL(model, path);
  auto *m = const_cast<resc_model *>(model);
  std::lock_guard<std::mutex> lock(m->mutex);
  if (resc_status s = m->requireTraining())
    return s;
  std::string message;
  try {
    if (!resc::writeSafetensors(path, m->raw, message))
      return m->fail(RESC_ERROR_WEIGHTS, message);
  } catch (const std::bad_alloc &) {
    return m->fail(RESC_ERROR_OUT_OF_MEMORY, "out of memory");
  }
  return RESC_OK;
}

} // extern "C"
