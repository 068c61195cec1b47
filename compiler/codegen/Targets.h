// Halide targets as resc's commands name them (`--target`): "host",
// "host-cuda" or any Halide target string, with resc's defaults applied.
#ifndef RESC_COMPILER_CODEGEN_TARGETS_H
#define RESC_COMPILER_CODEGEN_TARGETS_H

#include <Halide.h>

#include <optional>
#include <string>

namespace res {
namespace codegen {

/// The target `text` names, or none when Halide does not know it. A CUDA
/// target without an explicit capability gets 5.0: Halide's default (2.0)
/// emits PTX that current drivers no longer take, and 5.0 runs on every GPU
/// that CUDA 12 supports.
std::optional<Halide::Target> parseTarget(const std::string &text);

/// The error for a `text` that parseTarget refused, naming what is accepted.
std::string unknownTargetMessage(const std::string &text);

} // namespace codegen
} // namespace res

#endif
