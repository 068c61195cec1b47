// `resc compile`: a model to a static library and a C header (AotCompiler.h).
#ifndef RESC_COMPILER_TOOLS_RESC_COMPILECOMMAND_H
#define RESC_COMPILER_TOOLS_RESC_COMPILECOMMAND_H

#include "compiler/tools/resc/Commands.h"

#include <string>

namespace CLI {
class App;
}

namespace resc::cli {

struct CompileOptions {
  std::string weights;
  bool nonStrict = false;
  std::string output;
  std::string target = "host";
  std::string name;
  /// Also the training entries (res-generate-gradients' training function).
  bool train = false;
  PipelineOptions pipeline;
};

/// Adds the `compile` subcommand (its FILE and --model go to `common`).
CLI::App *addCompileCommand(CLI::App &app, CommonOptions &common,
                            CompileOptions &options);
int runCompile(const CommonOptions &common, const CompileOptions &options);

} // namespace resc::cli

#endif
