#include "compiler/codegen/Targets.h"

namespace res {
namespace codegen {

std::optional<Halide::Target> parseTarget(const std::string &text) {
  if (!Halide::Target::validate_target_string(text))
    return std::nullopt;
  Halide::Target target(text);
  if (target.has_feature(Halide::Target::CUDA) &&
      target.get_cuda_capability_lower_bound() < 50)
    target = target.with_feature(Halide::Target::CUDACapability50);
  return target;
}

std::string unknownTargetMessage(const std::string &text) {
  return "unknown target '" + text +
         "'; use host, host-cuda or a Halide target string such as "
         "x86-64-linux-avx2";
}

} // namespace codegen
} // namespace res
