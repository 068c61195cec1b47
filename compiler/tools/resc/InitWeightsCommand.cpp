// `resc init-weights`: the seeded parameters `resc run` would use, written as
// safetensors so other tools (PyTorch, a later `run --weights`) see the same.
#include "compiler/driver/LoadModel.h"
#include "compiler/tools/resc/Commands.h"

#include "compiler/weights/InitWeights.h"

#include "resc/Safetensors.h"

#include "llvm/Support/raw_ostream.h"

namespace resc::cli {

int runInitWeights(const CommonOptions &common,
                   const InitWeightsOptions &options) {
  ModelSession session;
  if (!session.load(common.file, common.model, common.maxMemory))
    return 1;
  resc::TensorMap params;
  std::string error;
  // Bound parameters are written with their values, so the file is complete.
  if (!res::initParams(session.module(), options.seed, params, error,
                       /*includeBound=*/true)) {
    reportError(error);
    return 1;
  }
  if (!resc::writeSafetensors(options.output, params, error)) {
    reportError(error);
    return 1;
  }
  if (common.verbose)
    llvm::errs() << "resc: wrote " << params.size() << " tensors to "
                 << options.output << " (seed " << options.seed << ")\n";
  return 0;
}

} // namespace resc::cli
