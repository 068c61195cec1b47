// The plan of an AOT library: what the compiler writes into a library and
// the runtime reads back from the bytes that ModelFormat.h describes. The
// reader checks it once, so that running it needs no further checks of
// indices. Part of resc_format, the contract the compiler and the runtime
// share (docs/design.md): no MLIR, no Halide.
#ifndef RESC_FORMAT_MODELPLAN_H
#define RESC_FORMAT_MODELPLAN_H

#include "format/WeightPacking.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace resc {
namespace format {

struct OperandRec {
  bool batched = true;
  std::vector<int64_t> extents; // Halide's, innermost first, no batch
};

struct KernelRec {
  std::string key;
  double flopsPerSample = 0;
  std::vector<OperandRec> operands;
  bool resultBatched = true;
  std::vector<int64_t> result; // Halide's extents, as operands
};

struct SlotRec {
  uint32_t kind = 0;
  int32_t index = -1;
  int64_t offset = -1;
  /// False for a tensor without a batch dim (a statistic, a weight
  /// gradient): perSample is then its whole size.
  bool batched = true;
  std::vector<int64_t> dims; // as the compiler planned it, without the batch
  int64_t perSample = 0;     // floats of one batch element: dims' product
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
  PackRecipe recipe;
  int64_t embeddedOffset = -1;
  int64_t floats = 0;
};

struct NamedShape {
  int32_t slot = -1;
  std::string name;
  std::vector<int64_t> shape; // inputs/outputs: batch as -1
};

/// A parameter of a training library, in the raw C-order form the
/// training kernels read.
struct TrainParamRec {
  std::string name;
  std::vector<int64_t> shape;
  int64_t count = 0;
  bool trainable = false;
  int64_t embeddedOffset = -1;
};

/// A plan section (the inference plan, or the training one) and the
/// kernels they share.
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

  /// Training libraries only (the training section): the backward steps
  /// (`steps` are the training forward), the role of each output
  /// (RoleKind) and every parameter.
  std::shared_ptr<ModelPlan> train;
  std::vector<StepRec> backward;
  std::vector<uint8_t> roles;
  std::vector<TrainParamRec> trainParams;
};

/// The largest buffer of one batch element of `section`: its arena or any
/// slot (what ModelPlan::largestPerSample holds once read).
int64_t largestPerSample(const ModelPlan &section);

/// The bytes of `plan` as ModelFormat.h lays them out (what `resc compile`
/// embeds in a library); parsePlan reads them back.
std::vector<uint8_t> writePlan(const ModelPlan &plan);

/// Parses and checks `bytes`; false with a message when they are not a
/// plan this runtime can run with `numKernels` kernel functions.
bool parsePlan(const uint8_t *bytes, size_t size, size_t numKernels,
               ModelPlan &plan, std::string &error);

} // namespace format
} // namespace resc

#endif
