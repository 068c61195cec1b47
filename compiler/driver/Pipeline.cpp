#include "compiler/driver/Pipeline.h"
#include "compiler/driver/LoadModel.h"

#include "compiler/passes/Passes.h"
#include "compiler/passes/Pipelines.h"
#include "dialect/ResDialect.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <memory>
#include <set>

namespace resc::driver {

namespace {

/// How many ops of each kind a model has, for --verbose. Weight reads,
/// parameter preparation and terminators are not counted: they do no work
/// per forward pass. Ops in a tied repeat's body count once.
struct OpCensus {
  int64_t ops = 0, batchNorms = 0, blocks = 0, adds = 0, activations = 0,
          fusedSums = 0, fusedActivations = 0, affineLayerNorms = 0;

  static OpCensus of(mlir::ModuleOp module) {
    OpCensus c;
    module.walk([&](mlir::Operation *op) {
      if (!llvm::isa<res::ResDialect>(op->getDialect()) ||
          llvm::isa<res::ParamOp, res::WeightOp, res::YieldOp,
                    res::FoldBatchNormParamsOp>(op))
        return;
      ++c.ops;
      if (llvm::isa<res::BatchNormOp>(op))
        ++c.batchNorms;
      else if (auto norm = llvm::dyn_cast<res::LayerNormOp>(op))
        c.affineLayerNorms += norm.getWeight() ? 1 : 0;
      else if (llvm::isa<res::ResidualOp>(op))
        ++c.blocks;
      else if (llvm::isa<res::AddOp>(op))
        ++c.adds;
      else if (llvm::isa<res::ActivationOp>(op))
        ++c.activations;
      else if (auto fused = llvm::dyn_cast<res::FusedConv2DOp>(op)) {
        c.fusedSums += fused.getResidual() ? 1 : 0;
        c.fusedActivations += fused.getActivation() ? 1 : 0;
      }
    });
    return c;
  }
};

void reportCensus(const OpCensus &before, const OpCensus &after) {
  auto &os = llvm::errs();
  os << "resc: pipeline: " << before.ops << " ops before, " << after.ops
     << " after (weight reads not counted)\n";
  os << "  batch norms folded: " << before.batchNorms - after.batchNorms
     << " of " << before.batchNorms << "\n";
  if (before.affineLayerNorms > 0)
    os << "  layer norm affines folded into the next layer: "
       << before.affineLayerNorms - after.affineLayerNorms << " of "
       << before.affineLayerNorms << "\n";
  os << "  skip adds fused into convolutions: "
     << after.fusedSums - before.fusedSums << " of "
     << before.blocks + before.adds << " (residual blocks and adds)\n";
  os << "  activations fused into convolutions: "
     << after.fusedActivations - before.fusedActivations << "\n";
  if (after.blocks + after.adds > 0 || after.batchNorms > 0)
    os << "  left: " << after.batchNorms << " batch norms, " << after.blocks
       << " residual blocks, " << after.adds << " adds (--remarks says why)\n";
}

} // namespace

bool runPipeline(mlir::ModuleOp module, const PipelineOptions &options,
                 bool verbose) {
  static bool registered = [] {
    res::registerResPasses();
    res::registerResPipelines();
    mlir::registerTransformsPasses();
    return true;
  }();
  (void)registered;

  mlir::PassManager pm(module->getName());
  if (!options.pipeline.empty()) {
    // The pass manager is anchored on the module already, so the parser
    // wants what goes inside `builtin.module(...)`.
    llvm::StringRef text = llvm::StringRef(options.pipeline).trim();
    if (text.consume_front("builtin.module(") && text.consume_back(")"))
      text = text.trim();
    std::string message;
    llvm::raw_string_ostream os(message);
    if (mlir::failed(mlir::parsePassPipeline(text, pm, os))) {
      os.flush();
      reportError("bad --pipeline '" + options.pipeline + "': " + message);
      return false;
    }
  } else {
    res::buildResPipeline(pm, options.optLevel);
  }
  // A name that is no registered pass, or a pass this pipeline does not
  // run, would print nothing without a word.
  for (const std::string &name : options.printIrAfter) {
    if (!mlir::PassInfo::lookup(name)) {
      reportError("--print-ir-after: unknown pass '" + name +
                  "'; 'res-opt --help' lists the passes");
      return false;
    }
  }
  if (pm.size() == 0 && !options.pipeline.empty())
    return true;
  // The passes that ran (nested ones too), to say which --print-ir-after
  // names printed nothing.
  auto ran = std::make_shared<std::set<std::string>>();
  if (options.printIrAfterAll || !options.printIrAfter.empty()) {
    // Multi-threading would interleave the printed IR of nested passes.
    module->getContext()->disableMultithreading();
    auto after = [options, ran](mlir::Pass *pass, mlir::Operation *) {
      ran->insert(pass->getArgument().str());
      if (options.printIrAfterAll)
        return true;
      llvm::StringRef arg = pass->getArgument();
      return std::find(options.printIrAfter.begin(), options.printIrAfter.end(),
                       arg.str()) != options.printIrAfter.end();
    };
    pm.enableIRPrinting([](mlir::Pass *, mlir::Operation *) { return false; },
                        after, /*printModuleScope=*/true,
                        /*printAfterOnlyOnChange=*/false);
  }
  if (options.timing)
    pm.enableTiming();
  OpCensus before = OpCensus::of(module);
  if (mlir::failed(pm.run(module)))
    return false;
  for (const std::string &name : options.printIrAfter)
    if (!ran->count(name))
      reportWarning("--print-ir-after " + name +
                    ": the pipeline does not run that pass, so nothing was "
                    "printed for it");
  if (verbose)
    reportCensus(before, OpCensus::of(module));
  return true;
}

bool optimise(ModelSession &session, const PipelineOptions &options,
              bool verbose) {
  session.diagnostics().setShowRemarks(options.remarks || verbose);
  return runPipeline(session.module(), options, verbose);
}

} // namespace resc::driver
