#include "compiler/codegen/KernelCache.h"

using namespace Halide;

namespace res {
namespace codegen {

namespace {

/// A per-call context: the runtime's error handler writes the message here
/// instead of printing it and aborting (Halide's default for AOT code; the
/// JIT default would throw from inside realize).
struct CallContext : JITUserContext {
  std::string error;
  static void onError(JITUserContext *context, const char *message) {
    auto *self = static_cast<CallContext *>(context);
    if (self->error.empty())
      self->error = trimHalideMessage(message ? message : "unknown error");
  }
  static void onPrint(JITUserContext *, const char *) {}
  CallContext() { handlers.custom_error = onError; }
};

std::vector<int> extentsOf(const Operand &operand) {
  if (!operand.batched)
    return std::vector<int>(operand.dims.begin(), operand.dims.end());
  if (operand.cOrder)
    return std::vector<int>(operand.dims.rbegin(), operand.dims.rend());
  return internalExtents(operand.dims);
}

} // namespace

CompiledKernel::CompiledKernel(KernelDesc desc, HalideKernel kernel,
                               Target target)
    : desc_(std::move(desc)), kernel(std::move(kernel)),
      target(std::move(target)) {}

Buffer<float> CompiledKernel::wrap(const Operand &operand, const float *data,
                                   int64_t batch) {
  std::vector<int> sizes = extentsOf(operand);
  if (operand.batched)
    sizes.push_back(int(batch));
  // Halide buffers take non-const data; inputs are never written.
  return Buffer<float>(const_cast<float *>(data), sizes);
}

Buffer<float> CompiledKernel::wrapResult(const KernelDesc &desc, float *data,
                                         int64_t batch) {
  Operand result;
  result.dims = desc.result;
  result.cOrder = desc.kind == KernelKind::FromInternal;
  if (!desc.resultBatched) // C order, Halide dims reversed
    result = {false, false, Dims(desc.result.rbegin(), desc.result.rend())};
  return wrap(result, data, batch);
}

std::string CompiledKernel::run(const std::vector<Buffer<float>> &operands,
                                Buffer<float> &result) const {
  if (operands.size() != kernel.inputs.size())
    return "kernel " + std::string(kindName(desc_.kind)) + " takes " +
           std::to_string(kernel.inputs.size()) + " operands, got " +
           std::to_string(operands.size());
  CallContext context;
  ParamMap params;
  for (size_t i = 0; i < operands.size(); ++i)
    params.set(kernel.inputs[i], operands[i]);
  std::lock_guard<std::mutex> lock(mutex);
  try {
    kernel.pipeline.realize(&context, result, target, params);
  } catch (const Halide::Error &e) {
    return trimHalideMessage(e.what());
  }
  return context.error;
}

std::shared_ptr<CompiledKernel> KernelCache::get(const KernelDesc &desc,
                                                 const Target &target,
                                                 std::string &error,
                                                 bool *compiledNow) {
  std::string key = target.to_string() + "|" + desc.key();
  if (compiledNow)
    *compiledNow = false;
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = kernels.find(key);
    if (it != kernels.end())
      return it->second;
  }
  // Compile outside the lock: JIT compiles take seconds.
  std::shared_ptr<CompiledKernel> compiled;
  try {
    HalideKernel kernel = buildKernel(desc, target);
    kernel.pipeline.compile_jit(target);
    compiled =
        std::make_shared<CompiledKernel>(desc, std::move(kernel), target);
  } catch (const Halide::Error &e) {
    error = "Halide cannot compile the " + std::string(kindName(desc.kind)) +
            " kernel " + desc.key() + ": " + trimHalideMessage(e.what());
    return nullptr;
  }
  std::lock_guard<std::mutex> lock(mutex);
  auto [it, inserted] = kernels.emplace(key, compiled);
  if (compiledNow)
    *compiledNow = inserted;
  return it->second;
}

size_t KernelCache::size() const {
  std::lock_guard<std::mutex> lock(mutex);
  return kernels.size();
}

} // namespace codegen
} // namespace res
