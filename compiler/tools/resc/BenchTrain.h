// The training-step half of `resc bench --train` (BenchTrain.cpp).
#ifndef RESC_COMPILER_TOOLS_RESC_BENCHTRAIN_H
#define RESC_COMPILER_TOOLS_RESC_BENCHTRAIN_H

#include "compiler/tools/resc/Commands.h"

#include "compiler/codegen/JitModel.h"

#include "resc/Safetensors.h"
#include "resc/Tensor.h"

#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace resc::cli {

struct TrainStepTimes {
  double stepMs = 0, minStepMs = 0, maxStepMs = 0;
  /// Medians of the two parts of a step.
  double forwardBackwardMs = 0, optimiserMs = 0;
  size_t kernels = 0;
  /// With --profile: the steps' kernels per layer, summed over the timed
  /// steps (the optimiser is not in it).
  std::vector<res::codegen::LayerProfile> profile;
};

/// Generates `modelName`'s training function in `module` (the model as
/// written, parameters not bound into it), compiles it and times
/// options.repeat steps after options.warmup. Errors are reported.
bool benchTrainStep(mlir::ModuleOp module, const std::string &modelName,
                    const std::vector<resc::Tensor> &inputs,
                    resc::TensorMap params, const BenchOptions &options,
                    TrainStepTimes &times);

} // namespace resc::cli

#endif
