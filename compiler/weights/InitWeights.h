// Deterministic seeded initialisation of parameters and inputs (the exact
// rule is in docs/weights.md, "Seeded initialisation").
// Every tensor draws from its own resc::Random stream keyed by its name, so
// its values depend only on the seed, the name and the shape, never on
// declaration order or on which other parameters exist.
#ifndef RESC_COMPILER_WEIGHTS_INITWEIGHTS_H
#define RESC_COMPILER_WEIGHTS_INITWEIGHTS_H

#include "compiler/weights/ParamBinding.h"

#include "resc/Safetensors.h"
#include "resc/Tensor.h"

#include "mlir/IR/BuiltinOps.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace res {

/// What a parameter is, decided from the operand it feeds.
enum class ParamRole {
  ConvWeight,  // res.conv2d operand 1
  DenseWeight, // res.dense operand 1, res.attention's weights
  Bias,        // res.conv2d / res.dense operand 2, res.attention's biases
  NormWeight,  // res.batch_norm, res.layer_norm operand 1
  NormBias,    // res.batch_norm, res.layer_norm operand 2
  RunningMean, // res.batch_norm operand 3
  RunningVar,  // res.batch_norm operand 4
  LayerScale,  // res.channel_scale operand 1: the op's `init` everywhere
  Embedding,   // res.class_token, res.pos_embedding operand 1: N(0, 0.02)
  Unused,      // read by no op above: the fallback rule applies
};

const char *roleName(ParamRole role);

/// The most elements resc creates for one seeded tensor (8 GiB of f32). IR
/// can declare any static shape; beyond this a typo is far likelier than a
/// real model, and the allocation would end the process instead of failing.
constexpr int64_t kMaxSeededElements = int64_t(1) << 31;

/// The role of every parameter of `module`, by name. A parameter that feeds
/// operands of two different roles (hand-written IR only) is an error: no
/// initialisation would suit both.
bool inferParamRoles(mlir::ModuleOp module,
                     std::map<std::string, ParamRole> &roles,
                     std::string &error);

/// He (Kaiming normal, fan_in) std for a weight of `shape`: sqrt(2 / fan_in)
/// with fan_in the product of every dim after the first (in/groups * kh * kw
/// for a conv weight, `in` for a dense weight).
double heStd(const std::vector<int64_t> &shape);

/// The seeded value of one parameter; `fill` is the value of a LayerScale
/// (its channel_scale's `init`).
resc::Tensor initParam(const std::string &name,
                       const std::vector<int64_t> &shape, ParamRole role,
                       uint64_t seed, double fill = 1.0);

/// Seeded values for the parameters of `module` that carry no bound value
/// (every parameter with `includeBound`, bound ones copied from the IR), so
/// `out` is what `resc run` feeds the engine or what `init-weights` writes.
bool initParams(mlir::ModuleOp module, uint64_t seed, resc::TensorMap &out,
                std::string &error, bool includeBound = false);

/// A seeded input: standard normal values from
/// resc::Random(seed, "input:" + name), in C order.
resc::Tensor seededInput(const std::string &name,
                         const std::vector<int64_t> &shape, uint64_t seed);

} // namespace res

#endif
