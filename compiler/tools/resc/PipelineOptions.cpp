// The flags that choose a model's optimisation pipeline, shared by every
// command that optimises (resc run, emit, compile, bench).
#include "compiler/tools/resc/Commands.h"

#include "CLI/CLI.hpp"

namespace resc::cli {

void addPipelineOptions(CLI::App *app, PipelineOptions &options,
                        int defaultLevel) {
  options.optLevel = defaultLevel;
  std::string group =
      "Optimisation (default -O" + std::to_string(defaultLevel) + ")";
  // `-O2` is CLI11's short option -O with the value attached.
  app->add_option("-O", options.optLevel,
                  "Optimisation level: -O0 none, -O1 simplify and fold batch "
                  "norms into convolutions, -O2 also fold layer norms' "
                  "affines into the layer after them, prune identity blocks "
                  "and fuse skip adds into the layer before them "
                  "(everything that keeps the numbers)")
      ->type_name("LEVEL")
      ->check(CLI::Range(0, 2))
      ->group(group);
  app->add_option("--pipeline", options.pipeline,
                  "A custom MLIR pass pipeline instead of -O, e.g. "
                  "'res-fold-bn,res-simplify' or 'builtin.module(...)'; "
                  "'res-opt --help' lists the passes")
      ->type_name("PIPELINE")
      ->group(group);
  app->add_flag("--print-ir-after-all", options.printIrAfterAll,
                "Print the IR after every pass (to stderr)")
      ->group(group);
  app->add_option("--print-ir-after", options.printIrAfter,
                  "Print the IR after this pass (its argument, e.g. "
                  "res-fold-bn); may be repeated")
      ->type_name("PASS")
      ->group(group);
  app->add_flag("--timing", options.timing,
                "Print the time of each pass (to stderr)")
      ->group(group);
  app->add_flag("--remarks", options.remarks,
                "Show the passes' remarks (what was folded or pruned, and "
                "why not)")
      ->group(group);
}

void addNonStrictFlag(CLI::App *app, bool &nonStrict) {
  app->add_flag("--non-strict", nonStrict,
                "Load a --weights file that also has tensors the model does "
                "not have (they are ignored; -v lists them) instead of "
                "refusing it, like PyTorch's load_state_dict(strict=False)");
}

} // namespace resc::cli
