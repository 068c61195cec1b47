// The one executor of resc's plans, shared by the AOT runtime
// (resc_runtime.h) and the JIT engine behind `resc run`: it binds a plan
// section's slots to memory (the arena, packed parameters, the caller's
// inputs and outputs), walks its steps (tied repeats as loops over one
// body), builds each kernel call's buffers and keeps the per-layer profile.
// How a kernel runs is the caller's: the AOT runtime passes the library's
// Halide `_argv` entry points, the JIT its compiled pipelines (KernelTable).
//
// Plain C++17 over resc_format's plan; of Halide only the buffer types of
// HalideRuntime.h, no runtime function, so that the compiler can link it
// without the Halide runtime that each AOT library brings.
#ifndef RESC_RUNTIME_EXECUTOR_EXECUTOR_H
#define RESC_RUNTIME_EXECUTOR_EXECUTOR_H

#include "format/ModelFormat.h"
#include "format/ModelPlan.h"

#include <HalideRuntime.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace resc {
namespace exec {

/// The kernels of a plan, called by index.
class KernelTable {
public:
  virtual ~KernelTable() = default;
  /// Runs kernel `step.kernel` of `section` on `buffers`: its operands in
  /// the order of the plan's KernelRec, then its result, each dense with
  /// the batch outermost. False with Halide's message on failure.
  virtual bool call(const format::ModelPlan &section,
                    const format::StepRec &step, halide_buffer_t *buffers,
                    size_t count, std::string &message) = 0;
};

/// Time spent in one layer's kernel since profiling was enabled, each loop
/// iteration counted.
struct ProfileRow {
  std::string layer, kernel;
  int64_t calls = 0;
  double seconds = 0;
  /// FLOPs of those calls (convs and dense only), for GFLOP/s.
  double flops = 0;
};

/// 64-byte aligned float storage that keeps its memory when it shrinks.
class Arena {
public:
  Arena() = default;
  Arena(const Arena &) = delete;
  Arena &operator=(const Arena &) = delete;
  ~Arena();
  /// False when the memory cannot be had.
  bool reserve(size_t floats);
  float *data() const { return data_; }

private:
  float *data_ = nullptr;
  size_t size_ = 0;
};

/// What a run's slots are bound to.
struct RunBuffers {
  const float *const *inputs = nullptr;
  float *const *outputs = nullptr;
  /// One per recipe of the section.
  const std::vector<const float *> *packed = nullptr;
};

class Executor {
public:
  /// The argument checks every run shares: a batch of at least 1, and one
  /// small enough that every buffer of `section` keeps its extent below
  /// 2^31 (Halide indexes with 32-bit ints). False with a message.
  static bool checkBatch(const format::ModelPlan &section, int64_t batch,
                         std::string &error);

  /// Slot pointers for a run of `section` at `batch`: batched activations
  /// in `arena` (grown as needed), unbatched ones in `unbatched` (storage
  /// by slot, kept between runs), the rest from `buffers`. False with a
  /// message when the arena cannot be allocated.
  static bool bindSlots(const format::ModelPlan &section, int64_t batch,
                        const RunBuffers &buffers, Arena &arena,
                        std::vector<std::vector<float>> &unbatched,
                        std::vector<float *> &ptr, std::string &error);

  /// Runs `steps` of `section` over the slot pointers `ptr` (a loop binds
  /// its result slot there). On a kernel's failure, stops with "kernel KEY
  /// of layer 'L' failed: MESSAGE" and the step in failedStep().
  bool execute(const format::ModelPlan &section,
               const std::vector<format::StepRec> &steps,
               std::vector<float *> &ptr, int64_t batch, KernelTable &kernels,
               std::string &error);

  /// Times every kernel call of the following runs (clearing earlier
  /// times); off by default, as it adds two clock reads per call.
  void setProfiling(bool enabled);
  bool profiling() const { return profiling_; }
  /// Per call site, in the order first run (plan order).
  const std::vector<ProfileRow> &profile() const { return rows; }
  const format::StepRec *failedStep() const { return failed; }

private:
  bool call(const format::ModelPlan &section, const format::StepRec &step,
            std::vector<float *> &ptr, int64_t batch, KernelTable &kernels,
            std::string &error);

  bool profiling_ = false;
  std::map<const format::StepRec *, size_t> rowOf;
  std::vector<ProfileRow> rows;
  const format::StepRec *failed = nullptr;
  // Reused by every call: no allocation per kernel call once warm.
  std::vector<halide_buffer_t> bufs;
  std::vector<halide_dimension_t> dims;
};

} // namespace exec
} // namespace resc

#endif
