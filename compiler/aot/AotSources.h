// The text files `resc compile` generates besides the kernels: the assembly
// that embeds the plan and weights (.incbin, so a 100 MB model costs no C
// parsing), the C glue that defines NAME_create/NAME_run/..., and the
// public header NAME.h.
#ifndef RESC_COMPILER_AOT_AOTSOURCES_H
#define RESC_COMPILER_AOT_AOTSOURCES_H

#include <cstdint>
#include <string>
#include <vector>

namespace resc::aot {

struct AotSourceInfo {
  std::string name, target, source;
  size_t numKernels = 0;
  /// A --train library: NAME.h declares the training entries too.
  bool training = false;
  std::string planPath;
  uint64_t planSize = 0;
  /// Empty: no embedded weights.
  std::string weightsPath;
  uint64_t weightsFloats = 0;
  struct IO {
    std::string name;
    std::vector<int64_t> shape; // batch as -1
  };
  std::vector<IO> inputs, outputs;
};

std::string dataAssembly(const AotSourceInfo &info);
std::string glueSource(const AotSourceInfo &info);
std::string headerSource(const AotSourceInfo &info);

} // namespace resc::aot

#endif
