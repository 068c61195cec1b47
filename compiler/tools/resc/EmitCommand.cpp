// `resc emit`: the model as IR, optionally with its weights bound into the
// `res.param`s so the file stands alone.
#include "compiler/driver/LoadModel.h"
#include "compiler/export/DotGraph.h"
#include "compiler/export/TorchExport.h"
#include "compiler/tools/resc/Commands.h"

#include "compiler/codegen/Kernels.h"
#include "compiler/codegen/Lowering.h"
#include "compiler/codegen/PlanPrinter.h"
#include "compiler/codegen/Targets.h"
#include "compiler/weights/ParamBinding.h"

#include "mlir/IR/OperationSupport.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

using namespace resc::emit;

namespace resc::cli {

/// The formats `--format` accepts; main.cpp lists them in errors and help.
const std::vector<std::string> &emitFormats() {
  static const std::vector<std::string> formats = {"mlir", "dot", "torch",
                                                   "plan"};
  return formats;
}

int runEmit(const CommonOptions &common, const EmitOptions &options) {
  std::optional<Halide::Target> target;
  if (options.format == "plan" &&
      !(target = res::codegen::parseTarget(options.target))) {
    reportError(res::codegen::unknownTargetMessage(options.target));
    return 1;
  }
  ModelSession session;
  if (!session.load(common.file, common.model, common.maxMemory))
    return 1;
  if (!options.weights.empty()) {
    resc::TensorMap values;
    if (!loadWeights(session.module(), options.weights, !options.nonStrict,
                     common.verbose, values))
      return 1;
    std::string error;
    if (!res::attachValues(session.module(), values, error)) {
      reportError(error);
      return 1;
    }
  }

  if (!optimise(session, options.pipeline, common.verbose))
    return 1;

  std::string error;
  auto file = mlir::openOutputFile(options.output, &error);
  if (!file) {
    reportError("cannot write '" + options.output + "': " + error);
    return 1;
  }
  if (options.format == "dot") {
    printDotGraph(session.model(), file->os());
    file->keep();
    return 0;
  }
  if (options.format == "plan") {
    res::codegen::Plan plan;
    if (mlir::failed(res::codegen::lowerToPlan(
            session.model(), plan, {!res::codegen::usesGpu(*target)})) ||
        mlir::failed(res::codegen::printPlan(session.model(), plan, *target,
                                             file->os())))
      return 1;
    file->keep();
    return 0;
  }
  if (options.format == "torch") {
    if (!emitTorchModule(session.module(), session.model(), file->os()))
      return 1;
    file->keep();
    return 0;
  }
  mlir::OpPrintingFlags flags;
  if (options.locations)
    flags.enableDebugInfo(/*enable=*/true, /*prettyForm=*/false);
  session.module()->print(file->os(), flags);
  file->os() << "\n";
  file->keep();
  return 0;
}

} // namespace resc::cli
