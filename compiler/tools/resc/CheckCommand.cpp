// `resc check`: load and verify, print nothing unless asked.
#include "compiler/driver/LoadModel.h"
#include "compiler/tools/resc/Commands.h"

#include "compiler/weights/ParamBinding.h"

#include "llvm/Support/raw_ostream.h"

namespace resc::cli {

int runCheck(const CommonOptions &common) {
  ModelSession session;
  if (!session.load(common.file, common.model, common.maxMemory))
    return 1;
  if (common.verbose) {
    int64_t trainable = 0;
    size_t tensors = 0;
    for (const res::ParamInfo &param : res::collectParams(session.module())) {
      ++tensors;
      if (!param.buffer)
        trainable += param.numel();
    }
    llvm::outs() << "ok: " << session.model().getSymName() << ", "
                 << withCommas(trainable) << " parameters (" << tensors
                 << (tensors == 1 ? " tensor)\n" : " tensors)\n");
  }
  return 0;
}

} // namespace resc::cli
