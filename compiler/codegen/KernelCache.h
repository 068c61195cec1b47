// Compiled kernels, deduplicated: one JIT-compiled Halide pipeline per
// distinct (description, target). The cache may be shared by several
// models (the tests share one, so that common kernels compile once).
#ifndef RESC_COMPILER_CODEGEN_KERNELCACHE_H
#define RESC_COMPILER_CODEGEN_KERNELCACHE_H

#include "compiler/codegen/HalideErrors.h"
#include "compiler/codegen/KernelDesc.h"
#include "compiler/codegen/Kernels.h"

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace res {
namespace codegen {

class CompiledKernel {
public:
  CompiledKernel(KernelDesc desc, HalideKernel kernel, Halide::Target target);

  const KernelDesc &desc() const { return desc_; }
  const std::string &schedule() const { return kernel.schedule; }

  /// Runs the kernel: operands in the order of the description, each a
  /// buffer in its layout; `result` must be a dense batched buffer of the
  /// result's shape. Halide's run-time errors (a buffer of the wrong shape,
  /// an allocation failure) come back as the message, never as an abort;
  /// empty means success.
  std::string run(const std::vector<Halide::Buffer<float>> &operands,
                  Halide::Buffer<float> &result) const;

  /// Wraps raw memory as a dense buffer of `operand`'s layout with `batch`
  /// batch elements (ignored for unbatched operands).
  static Halide::Buffer<float> wrap(const Operand &operand, const float *data,
                                    int64_t batch);
  /// The same for the result of `desc` (internal layout, or C order for
  /// FromInternal).
  static Halide::Buffer<float> wrapResult(const KernelDesc &desc, float *data,
                                          int64_t batch);

private:
  KernelDesc desc_;
  // Realizing a Pipeline mutates its JIT cache bookkeeping, so runs of one
  // kernel are serialised; different kernels run independently.
  mutable std::mutex mutex;
  mutable HalideKernel kernel;
  Halide::Target target;
};

class KernelCache {
public:
  /// The compiled kernel for `desc`, compiling it on first use. Halide's
  /// compile errors come back in `error` (null result). `compiledNow` says
  /// whether this call compiled it.
  std::shared_ptr<CompiledKernel> get(const KernelDesc &desc,
                                      const Halide::Target &target,
                                      std::string &error,
                                      bool *compiledNow = nullptr);
  size_t size() const;

private:
  mutable std::mutex mutex;
  std::map<std::string, std::shared_ptr<CompiledKernel>> kernels;
};

} // namespace codegen
} // namespace res

#endif
