// res-lipschitz: reports Lipschitz bounds per residual block and per model
// as remarks (and optionally a table); the numbers come from
// LipschitzBound.h so `resc info --lipschitz` prints the same ones.
#include "compiler/passes/LipschitzBound.h"
#include "compiler/passes/Passes.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace res {
#define GEN_PASS_DEF_LIPSCHITZ
#include "compiler/passes/Passes.h.inc"
} // namespace res

namespace res {
namespace {

struct LipschitzPass : public impl::LipschitzBase<LipschitzPass> {
  using LipschitzBase::LipschitzBase;
  void runOnOperation() override;
};

void printTable(llvm::raw_ostream &os, func::FuncOp fn,
                const ModelLipschitz &model, llvm::StringRef method) {
  os << "Lipschitz bounds of '" << fn.getSymName() << "' (" << method << ")\n";
  auto row = [&](llvm::StringRef name, llvm::StringRef branch,
                 llvm::StringRef shortcut, llvm::StringRef total,
                 llvm::StringRef times) {
    os << llvm::left_justify(name, 32) << " " << llvm::right_justify(branch, 12)
       << " " << llvm::right_justify(shortcut, 12) << " "
       << llvm::right_justify(total, 12) << " " << llvm::right_justify(times, 6)
       << "\n";
  };
  row("block", "branch", "shortcut", "total", "times");
  for (const BlockLipschitz &b : model.blocks)
    row((b.nested ? "  " : "") + b.name, formatBound(b.branch),
        formatBound(b.shortcut), formatBound(b.total),
        std::to_string(b.applications));
  os << "product over blocks: " << formatBound(model.blockProduct) << "\n";
  os << "network:             " << formatBound(model.network) << "\n";
  if (!model.unknown.empty()) {
    os << "unbounded (parameters supplied at run time):";
    for (const std::string &name : model.unknown)
      os << " " << name;
    os << "\n";
  }
  if (!model.unboundable.empty()) {
    os << "no finite bound:";
    for (const std::string &name : model.unboundable)
      os << " " << name;
    os << "\n";
  }
}

void LipschitzPass::runOnOperation() {
  LipschitzBoundOptions options;
  if (method == "certified")
    options.method = NormMethod::Certified;
  else if (method == "power-iteration")
    options.method = NormMethod::PowerIteration;
  else {
    getOperation().emitError("res-lipschitz: unknown method '")
        << method << "', expected 'certified' or 'power-iteration'";
    return signalPassFailure();
  }
  options.iterations = iterations;
  llvm::StringRef what = options.method == NormMethod::Certified
                             ? "certified upper bound"
                             : "power-iteration estimate";

  LipschitzAnalysis analysis(options);
  for (auto fn : getOperation().getOps<func::FuncOp>()) {
    if (fn.isExternal())
      continue;
    ModelLipschitz model = analysis.analyze(fn);
    for (const BlockLipschitz &b : model.blocks) {
      ResidualOp block = b.block;
      auto remark = block.emitRemark();
      remark << "block '" << b.name << "': Lipschitz " << what
             << " of the branch " << formatBound(b.branch)
             << ", of the shortcut " << formatBound(b.shortcut)
             << ", of the block " << formatBound(b.total);
      if (b.applications > 1)
        remark << " (applied " << b.applications << " times)";
    }
    auto remark = fn.emitRemark();
    remark << "model '" << fn.getSymName() << "': Lipschitz " << what
           << " of the network " << formatBound(model.network)
           << ", product over blocks " << formatBound(model.blockProduct);
    if (!model.unknown.empty())
      remark << "; unbounded because parameters are supplied at run time: "
             << llvm::join(model.unknown, ", ");
    if (!model.unboundable.empty())
      remark << "; unbounded because these layers have no finite bound: "
             << llvm::join(model.unboundable, ", ");
    if (print)
      printTable(llvm::outs(), fn, model, what);
  }
  markAllAnalysesPreserved();
}

} // namespace
} // namespace res
