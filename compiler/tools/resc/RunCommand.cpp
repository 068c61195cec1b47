// `resc run`: one forward pass on given or seeded weights and inputs, with a
// summary of the outputs. The weights are bound into the IR first so the
// optimisation pipeline can fold them; the model then runs as JIT-compiled
// Halide kernels, or on the reference interpreter with --interpret.
#include "compiler/driver/LoadModel.h"
#include "compiler/tools/resc/Commands.h"
#include "compiler/tools/resc/RunInputs.h"

#include "compiler/codegen/JitModel.h"
#include "compiler/interpreter/Interpreter.h"
#include "compiler/weights/InitWeights.h"
#include "compiler/weights/ParamBinding.h"

#include "resc/Npy.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <unistd.h>

using namespace mlir;

namespace resc::cli {

int runRun(const CommonOptions &common, const RunOptions &options) {
  ModelSession session;
  if (!session.load(common.file, common.model, common.maxMemory))
    return 1;
  ModuleOp module = session.module();
  func::FuncOp model = session.model();

  RunSetup setup;
  if (!prepareRun(module, model, options, common.verbose, setup))
    return 1;
  const std::vector<std::string> &outputNames = setup.outputNames;
  const std::vector<resc::Tensor> &inputs = setup.inputs;

  // Bound values let the passes fold batch norms into the weights.
  std::string bindError;
  if (!res::attachValues(module, setup.params, bindError)) {
    reportError(bindError);
    return 1;
  }
  if (!optimise(session, options.pipeline, common.verbose))
    return 1;
  model = session.model();

  using Clock = std::chrono::steady_clock;
  auto ms = [](Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
  };
  mlir::FailureOr<std::vector<resc::Tensor>> results;
  std::string engine;
  double runMs = 0;
  if (options.interpret) {
    auto start = Clock::now();
    results = res::interpret(model, inputs, {});
    runMs = ms(start, Clock::now());
    engine = "reference interpreter";
  } else {
    res::codegen::CompileOptions compileOptions;
    // Progress only on a terminal: piped output stays clean.
    bool tty = isatty(STDERR_FILENO);
    if (tty)
      compileOptions.progress = [](size_t index, size_t total,
                                   const std::string &) {
        llvm::errs() << "\rresc: compiling kernel " << index + 1 << "/" << total
                     << "\x1b[K";
        llvm::errs().flush();
      };
    auto start = Clock::now();
    auto compiled =
        res::codegen::CompiledModel::compile(module, compileOptions);
    if (tty)
      llvm::errs() << "\r\x1b[K";
    if (failed(compiled))
      return 1;
    double compileMs = ms(start, Clock::now());
    // Packing the weights (a once-per-instance cost) is kept out of the
    // timed run.
    if (failed(compiled->bindParams({})))
      return 1;
    compiled->setProfiling(options.profile);
    start = Clock::now();
    results = compiled->run(inputs);
    runMs = ms(start, Clock::now());
    engine = "compiled: " + std::to_string(compiled->numKernels()) +
             " kernels, " + llvm::formatv("{0:f1}", compileMs / 1000).str() +
             " s to compile";
    if (succeeded(results) && options.profile)
      printProfile(compiled->profile());
  }
  if (failed(results))
    return 1;

  for (size_t i = 0; i < results->size(); ++i)
    printSummary(outputNames[i], (*results)[i]);
  llvm::outs() << llvm::format("time: %.3f ms", runMs) << " (" << engine
               << ")\n";

  for (size_t i = 0; i < results->size(); ++i) {
    auto file = setup.outputFiles.find(outputNames[i]);
    if (file == setup.outputFiles.end())
      continue;
    std::string error;
    if (!resc::writeNpy(file->second, (*results)[i], error)) {
      reportError(error);
      return 1;
    }
  }
  return 0;
}

} // namespace resc::cli
