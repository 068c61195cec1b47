// The plan of an AOT library as the runtime holds it, parsed from the bytes
// that ModelFormat.h describes and checked once, so that running it needs no
// further checks of indices.
#ifndef RESC_RUNTIME_MODELPLAN_H
#define RESC_RUNTIME_MODELPLAN_H

#include "compiler/codegen/WeightPacking.h"

#include <cstdint>
#include <string>
#include <vector>

namespace resc {
namespace aot {

struct OperandRec {
  bool batched = true;
  std::vector<int64_t> extents; // Halide's, innermost first, no batch
};

struct KernelRec {
  std::string key;
  double flopsPerSample = 0;
  std::vector<OperandRec> operands;
  std::vector<int64_t> result; // batched
};

struct SlotRec {
  uint32_t kind = 0;
  int32_t index = -1;
  int64_t offset = -1;
  int64_t perSample = 0; // floats of one batch element (activations)
};

struct StepRec {
  uint8_t kind = 0;
  int32_t kernel = -1;
  std::vector<int32_t> operands;
  int32_t result = -1;
  std::string layer;
  int64_t count = 0;
  int32_t input = -1, arg = -1, yield = -1;
  std::vector<StepRec> body;
};

struct RecipeRec {
  res::codegen::PackRecipe recipe;
  int64_t embeddedOffset = -1;
  int64_t floats = 0;
};

struct NamedShape {
  int32_t slot = -1;
  std::string name;
  std::vector<int64_t> shape; // inputs/outputs: batch as -1
};

struct ModelPlan {
  int64_t arenaPerSample = 0;
  /// The largest buffer of one batch element (arena, inputs, outputs), to
  /// keep every Halide extent below 2^31.
  int64_t largestPerSample = 1;
  std::vector<SlotRec> slots;
  std::vector<KernelRec> kernels;
  std::vector<StepRec> steps;
  std::vector<RecipeRec> recipes;
  std::vector<NamedShape> params, inputs, outputs;
};

/// Parses and checks `bytes`; false with a message when they are not a
/// plan this runtime can run with `numKernels` kernel functions.
bool parsePlan(const uint8_t *bytes, size_t size, size_t numKernels,
               ModelPlan &plan, std::string &error);

} // namespace aot
} // namespace resc

#endif
