// The optimisation pipeline of `resc run` and `resc emit`: -O levels or a
// custom MLIR pass pipeline, with MLIR's IR printing and timing, as
// `res-opt` offers them.
#ifndef RESC_COMPILER_DRIVER_PIPELINE_H
#define RESC_COMPILER_DRIVER_PIPELINE_H

#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace resc::driver {

struct PipelineOptions {
  int optLevel = 2;
  /// A custom pipeline replaces the -O level: "res-fold-bn,res-simplify" or
  /// the full "builtin.module(...)" form.
  std::string pipeline;
  bool printIrAfterAll = false;
  std::vector<std::string> printIrAfter;
  bool timing = false;
  bool remarks = false;
};

/// Runs the pipeline on `module`; errors are diagnostics. Returns false on
/// failure (a bad pipeline string, a failing pass). With `verbose`, prints
/// what it did: ops before and after, batch norms folded, skip adds and
/// activations fused.
bool runPipeline(mlir::ModuleOp module, const PipelineOptions &options,
                 bool verbose = false);

class ModelSession;
/// runPipeline on the session's module, with the passes' remarks shown when
/// asked for (--remarks) or when `verbose`: what every command that
/// optimises a model does.
bool optimise(ModelSession &session, const PipelineOptions &options,
              bool verbose);

} // namespace resc::driver

#endif
