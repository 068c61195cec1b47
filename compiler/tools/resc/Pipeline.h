// The optimisation pipeline of `resc run` and `resc emit`: -O levels or a
// custom MLIR pass pipeline, with MLIR's IR printing and timing, as
// `res-opt` offers them.
#ifndef RESC_COMPILER_TOOLS_RESC_PIPELINE_H
#define RESC_COMPILER_TOOLS_RESC_PIPELINE_H

#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace resc::cli {

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

/// Adds -O0/-O1/-O2, --pipeline, --print-ir-after-all, --print-ir-after,
/// --timing and --remarks to `app`, with `defaultLevel` as the default -O.
void addPipelineOptions(CLI::App *app, PipelineOptions &options,
                        int defaultLevel);

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

} // namespace resc::cli

#endif
