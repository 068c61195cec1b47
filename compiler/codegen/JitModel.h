// The JIT engine behind `resc run`: a model of the res dialect compiled in
// process into deduplicated Halide kernels and a static plan, then run on
// resc::Tensors.
//
//   auto model = CompiledModel::compile(module, options);   // diagnostics
//   if (failed(model)) ...                                   // on failure
//   auto outputs = model->run(inputs, params);
//
// Parameters that carry no value in the IR come from `params` by name, as
// for res::interpret; packed forms (transposed weights, folded batch norms)
// are computed when parameters are bound and kept until they change, so
// repeated runs with the same TensorMap pay for packing once.
//
// A CompiledModel keeps locations of the module's context for its
// diagnostics, so it must not outlive that MLIRContext (the module itself
// may go). Kernels run on Halide's JIT thread pool: HL_NUM_THREADS, read when
// the first kernel runs, sets its size (default: one thread per core).
#ifndef RESC_COMPILER_CODEGEN_JITMODEL_H
#define RESC_COMPILER_CODEGEN_JITMODEL_H

#include "resc/Safetensors.h"
#include "resc/Tensor.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include <Halide.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace res {
namespace codegen {

class KernelCache;

struct CompileOptions {
  /// Defaults to this machine, or to HL_JIT_TARGET when it is set (Halide's
  /// convention): HL_JIT_TARGET=x86-64-linux-avx2-fma-f16c-sse41 runs the
  /// AVX2 kernels and schedules on an AVX-512 machine.
  Halide::Target target = Halide::get_jit_target_from_environment();
  /// Shared across models when set (kernels compiled for one are reused by
  /// the next); otherwise the model has its own.
  std::shared_ptr<KernelCache> cache;
  /// Called before each distinct kernel is compiled (or found in the
  /// cache): index from 0, total, and a one-line description.
  std::function<void(size_t index, size_t total, const std::string &what)>
      progress;
  /// Which function of the module; empty means the only one.
  std::string function;
};

/// One distinct kernel of a model, for --verbose and reports.
struct KernelInfo {
  std::string key;
  std::string schedule;
  /// Calls per forward pass (loop iterations counted).
  int64_t calls = 0;
  /// FLOPs per batch element of one call (convs and dense only).
  double flopsPerSample = 0;
};

/// Time spent in one layer's kernel, summed over the runs since profiling
/// was enabled (each loop iteration counted).
struct LayerProfile {
  std::string layer;  // the op's `layer` attribute ("input"/"output" for
                      // the layout conversions)
  std::string kernel; // the kernel's key
  int64_t calls = 0;
  double seconds = 0;
  /// FLOPs of all those calls (convs and dense only), for GFLOP/s.
  double flops = 0;
};

class CompiledModel {
public:
  /// Lowers `module` and JIT-compiles its kernels. Errors (an op or shape
  /// the backend does not support, a Halide compile error) are emitted as
  /// diagnostics on the module's context and give failure.
  static mlir::FailureOr<CompiledModel>
  compile(mlir::ModuleOp module, const CompileOptions &options = {});

  /// Runs a forward pass. `inputs` are C-order tensors, one per function
  /// argument, of any batch size; `params` supplies the parameters without a
  /// bound value. Wrong input shapes, missing or mis-shaped parameters and
  /// Halide run-time errors are diagnostics at the function (or the op whose
  /// kernel failed) and give failure. Not reentrant: one run at a time per
  /// model (runs are serialised).
  /// An empty `params` reuses the parameters bound last (by bindParams or
  /// an earlier run), packing nothing; a non-empty one is bound first.
  mlir::FailureOr<std::vector<resc::Tensor>>
  run(const std::vector<resc::Tensor> &inputs,
      const resc::TensorMap &params = {});
  /// The same, writing into `outputs`, whose buffers are reused when they
  /// already have the results' sizes (a loop of runs, such as training
  /// steps, then allocates and faults in no new memory).
  mlir::LogicalResult run(const std::vector<resc::Tensor> &inputs,
                          const resc::TensorMap &params,
                          std::vector<resc::Tensor> &outputs);

  /// Checks and packs the parameters once (transposed weights, folded
  /// batch norms), for runs that follow with an empty `params`.
  mlir::LogicalResult bindParams(const resc::TensorMap &params);

  /// Distinct kernels of this model, and how many of them this compile had
  /// to JIT (the rest came from a shared cache).
  size_t numKernels() const;
  size_t numKernelsCompiled() const;
  /// Kernel calls of one forward pass.
  int64_t numCalls() const;
  std::vector<KernelInfo> kernels() const;
  /// Arena floats per batch element, with and without reuse of dead
  /// tensors' memory.
  int64_t arenaFloatsPerSample() const;
  int64_t unsharedFloatsPerSample() const;
  /// FLOPs of one forward pass per batch element (convs and dense).
  double flopsPerSample() const;

  /// Times every kernel call of the following runs (and clears earlier
  /// times); off by default, as it adds two clock reads per call.
  void setProfiling(bool enabled);
  /// Per layer, in plan order.
  std::vector<LayerProfile> profile() const;

  CompiledModel(CompiledModel &&);
  CompiledModel &operator=(CompiledModel &&);
  ~CompiledModel();

  struct Impl;

private:
  explicit CompiledModel(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl;
};

} // namespace codegen
} // namespace res

#endif
