// Ahead-of-time compilation behind `resc compile`: the same lowering, plan
// and kernel builders as the JIT (compiler/codegen), written out as a static
// library for the thin runtime (runtime/include/resc/resc_runtime.h).
//
// libNAME.a holds
//   * one object per distinct kernel, compiled by Halide with the
//     `no_runtime` and `user_context` features (NAME_k<i>, called through
//     its NAME_k<i>_argv entry point);
//   * one standalone Halide runtime object, whose symbols Halide makes weak:
//     linking several libraries keeps one copy of each (docs/aot.md);
//   * the plan (format/ModelFormat.h, written by format::writePlan) and,
//     when every parameter was bound at compile time, the packed weights,
//     as read-only data;
//   * the C glue defining NAME_create, NAME_run, ... (declared in NAME.h).
// The data and glue are compiled with the system C compiler (`cc`) and
// archived with `ar`.
#ifndef RESC_COMPILER_AOT_AOTCOMPILER_H
#define RESC_COMPILER_AOT_AOTCOMPILER_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include "resc/Safetensors.h"

#include <string>

namespace resc::aot {

struct AotOptions {
  std::string outputDir;
  /// A C identifier: the prefix of every symbol of the library.
  std::string name;
  /// "host", "host-cuda" or any Halide target string.
  std::string target = "host";
  /// The model's source file, for the header's comment.
  std::string source;
  bool verbose = false;
  /// "compiling kernel i/n" on stderr (a terminal).
  bool progress = false;
};

/// The training function of a `--train` library (res-generate-gradients'
/// `@m_train`, in a module of its own: the inference module is optimised,
/// the training one must not be), and the raw weights to embed, if any.
struct TrainInput {
  mlir::func::FuncOp fn;
  const resc::TensorMap *weights = nullptr;
  bool verbose = false;
};

/// Writes DIR/libNAME.a and DIR/NAME.h for the model `fn` of `module`, and
/// with `train` its training entries too, the kernels of both shared.
/// Problems are reported (diagnostics or `resc: error:`); false on any.
bool compileAot(mlir::ModuleOp module, mlir::func::FuncOp fn,
                const AotOptions &options, const TrainInput *train = nullptr);

/// Whether `name` can prefix C symbols ([A-Za-z_][A-Za-z0-9_]*).
bool isCIdentifier(const std::string &name);

} // namespace resc::aot

#endif
