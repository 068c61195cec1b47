// Schedules for targets with a GPU feature (`--target host-cuda`): every
// kernel runs on the device. Each output element gets one GPU thread, with
// the output's dims fused innermost first so that neighbouring threads
// write neighbouring addresses (channels are innermost in the internal
// layout, so a warp's stores and its weight loads coalesce). A reduction
// (the conv's or dense layer's sum, a pooling window) is computed per
// thread, at the thread loop, so its accumulator is a register.
//
// These are correct, simple schedules that keep the data on the device for
// a whole kernel; they are not tuned (no shared-memory staging of input
// tiles, no register blocking over several outputs per thread).
#include "compiler/codegen/Kernels.h"

using namespace Halide;

namespace res {
namespace codegen {

bool usesGpu(const Target &target) { return target.has_gpu_feature(); }

GpuSchedule scheduleGpuPointwise(Func out, const std::vector<Var> &vars) {
  Var fused = vars[0];
  for (size_t i = 1; i < vars.size(); ++i) {
    Var next(out.name() + "_gpu_fused" + std::to_string(i));
    out.fuse(fused, vars[i], next);
    fused = next;
  }
  // 256 threads a block: a multiple of the warp size that leaves room for
  // several blocks per multiprocessor.
  constexpr int kThreads = 256;
  GpuSchedule s{Var(out.name() + "_gpu_block"), Var(out.name() + "_gpu_thread"),
                ""};
  out.gpu_tile(fused, s.block, s.thread, kThreads, TailStrategy::GuardWithIf);
  s.description = "gpu: one thread per element, " + std::to_string(kThreads) +
                  " threads a block";
  return s;
}

std::string scheduleGpuReduction(Func out, Func acc,
                                 const std::vector<Var> &vars) {
  GpuSchedule s = scheduleGpuPointwise(out, vars);
  acc.compute_at(out, s.thread);
  return s.description + ", reduction per thread";
}

} // namespace codegen
} // namespace res
