// `resc compile`: weights (if given) are bound into the IR first so that the
// -O pipeline folds batch norms into them, as `resc run` does; the model is
// then compiled ahead of time (AotCompiler.h).
#include "compiler/tools/resc/CompileCommand.h"
#include "compiler/aot/AotCompiler.h"
#include "compiler/driver/LoadModel.h"

#include "compiler/passes/Passes.h"
#include "compiler/weights/ParamBinding.h"

#include "mlir/Pass/PassManager.h"

#include "CLI/CLI.hpp"
#include "llvm/Support/Path.h"

#include <unistd.h>

using namespace resc::aot;

namespace resc::cli {

namespace {

/// "examples/resnet-20.res" -> "resnet_20": a default --name.
std::string nameFromFile(const std::string &file) {
  std::string stem = llvm::sys::path::stem(file).str();
  for (char &c : stem)
    if (!std::isalnum(static_cast<unsigned char>(c)))
      c = '_';
  if (stem.empty() || std::isdigit(static_cast<unsigned char>(stem[0])))
    stem = "model_" + stem;
  return stem;
}

} // namespace

CLI::App *addCompileCommand(CLI::App &app, CommonOptions &common,
                            CompileOptions &options) {
  CLI::App *cmd = app.add_subcommand(
      "compile", "Compile a model ahead of time into a static library "
                 "(DIR/libNAME.a) and a C header (DIR/NAME.h)");
  cmd->add_option("FILE", common.file,
                  "The model: a .res source file, or .mlir / .mlirbc IR")
      ->required()
      ->type_name("");
  cmd->add_option("--model", common.model,
                  "Which model to use when the file defines several")
      ->type_name("NAME");
  cmd->add_option("-o,--output", options.output,
                  "Directory for libNAME.a and NAME.h (created if missing)")
      ->type_name("DIR")
      ->required();
  cmd->add_option("--weights", options.weights,
                  "Bind these safetensors weights into the library (folded "
                  "and packed); without it, instances load weights at "
                  "creation")
      ->type_name("FILE");
  addNonStrictFlag(cmd, options.nonStrict);
  cmd->add_option("--target", options.target,
                  "host, host-cuda, or a Halide target string such as "
                  "x86-64-linux-avx2")
      ->type_name("TARGET")
      ->capture_default_str();
  cmd->add_option("--name", options.name,
                  "Prefix of the library's symbols and files, a C identifier "
                  "(default: the file's stem)")
      ->type_name("NAME");
  cmd->add_flag("--train", options.train,
                "Also emit the training entries (training forward, "
                "backward, parameters; docs/aot.md): the training function "
                "of res-generate-gradients, compiled without -O, shares "
                "the library's kernels");
  addPipelineOptions(cmd, options.pipeline, /*defaultLevel=*/2);
  cmd->footer("Links with resc's runtime (libresc_aot_runtime.a, "
              "libresc_runtime.a); docs/aot.md describes the API.\n\n"
              "Examples:\n"
              "  resc compile examples/resnet20.res -o out\n"
              "  resc compile model.res --weights w.safetensors -o out "
              "--name classifier\n"
              "  resc compile examples/resnet20.res --target host-cuda -o "
              "out\n");
  return cmd;
}

int runCompile(const CommonOptions &common, const CompileOptions &options) {
  AotOptions aot;
  aot.outputDir = options.output;
  aot.target = options.target;
  aot.name = options.name.empty() ? nameFromFile(common.file) : options.name;
  aot.source = llvm::sys::path::filename(common.file).str();
  aot.verbose = common.verbose;
  // Progress only on a terminal: piped output stays clean.
  aot.progress = isatty(STDERR_FILENO);
  if (!isCIdentifier(aot.name)) {
    reportError("--name '" + aot.name +
                "' is not a C identifier (letters, digits, '_')");
    return 1;
  }

  ModelSession session;
  if (!session.load(common.file, common.model, common.maxMemory))
    return 1;
  mlir::ModuleOp module = session.module();
  resc::TensorMap params;
  if (!options.weights.empty()) {
    if (!loadWeights(module, options.weights, !options.nonStrict,
                     common.verbose, params))
      return 1;
    // A training library keeps the parameters' names in its inference
    // plan (an optimiser changes them in place, and the plan re-packs
    // them): the weights are bound only after the pipeline, for embedding.
    std::string error;
    if (!options.train && !res::attachValues(module, params, error)) {
      reportError(error);
      return 1;
    }
  }

  // The training function is generated from the model as written, in a
  // module of its own: the -O pipeline's inference rewrites (BN folding)
  // do not hold in training.
  mlir::OwningOpRef<mlir::ModuleOp> trainModule;
  TrainInput train;
  if (options.train) {
    trainModule = module.clone();
    mlir::PassManager pm(&session.context());
    std::string modelName = session.model().getName().str();
    pm.addPass(res::createGenerateGradients({modelName}));
    if (mlir::failed(pm.run(*trainModule)))
      return 1;
    train.fn =
        trainModule->lookupSymbol<mlir::func::FuncOp>(modelName + "_train");
    if (!train.fn) {
      reportError("res-generate-gradients made no training function for @" +
                  modelName);
      return 1;
    }
    train.weights = options.weights.empty() ? nullptr : &params;
    train.verbose = common.verbose;
  }
  if (!optimise(session, options.pipeline, common.verbose))
    return 1;
  if (options.train && !options.weights.empty()) {
    std::string error;
    if (!res::attachValues(module, params, error)) {
      reportError(error);
      return 1;
    }
  }
  return compileAot(module, session.model(), aot,
                    options.train ? &train : nullptr)
             ? 0
             : 1;
}

} // namespace resc::cli
