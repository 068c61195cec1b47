// Inputs and output summaries shared by `resc run` and `resc run --train`:
// NAME=FILE.npy specs, seeded inputs, and the printed summary of a tensor.
#ifndef RESC_COMPILER_TOOLS_RESC_RUNINPUTS_H
#define RESC_COMPILER_TOOLS_RESC_RUNINPUTS_H

#include "compiler/tools/resc/Commands.h"

#include "compiler/codegen/JitModel.h"

#include "resc/Safetensors.h"
#include "resc/Tensor.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include <map>
#include <string>
#include <vector>

namespace resc::cli {

/// "a, b, c".
std::string joined(const std::vector<std::string> &names);

/// Splits "NAME=FILE" when NAME is one of `names`; otherwise the whole spec
/// is a file for the only name, so paths with '=' in them still work.
/// `what` ("input", "output", ...) words the errors, which are reported.
bool splitSpec(const std::string &spec, const std::vector<std::string> &names,
               const char *what, std::map<std::string, std::string> &out);

/// Whether `shape` fits `dims` (-1 matches any size).
bool fitsDims(const std::vector<int64_t> &shape,
              const std::vector<int64_t> &dims);

/// One tensor per argument of `model`: from --input files, or seeded.
bool prepareInputs(mlir::func::FuncOp model, const RunOptions &options,
                   bool verbose, std::vector<resc::Tensor> &inputs);

/// What `resc run` and `resc run --train` read before running: the
/// parameters (from --weights or seeded), the files --output names, and the
/// inputs (from --input or seeded).
struct RunSetup {
  resc::TensorMap params;
  std::vector<std::string> outputNames;
  std::map<std::string, std::string> outputFiles;
  std::vector<resc::Tensor> inputs;
};
bool prepareRun(mlir::ModuleOp module, mlir::func::FuncOp model,
                const RunOptions &options, bool verbose, RunSetup &setup);

/// The table of `resc run --profile`: time, share and GFLOP/s per layer
/// and kernel (CompiledModel::profile, summed over the calls since
/// profiling began).
void printProfile(const std::vector<res::codegen::LayerProfile> &layers);

/// Shape, range, first values and (for 2-D) the argmax of each row.
void printSummary(const std::string &name, const resc::Tensor &tensor);

} // namespace resc::cli

#endif
