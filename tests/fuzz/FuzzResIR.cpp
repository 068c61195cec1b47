//===- FuzzResIR.cpp - libFuzzer target: res IR as res-opt reads it -------===//
//
// Arbitrary bytes as MLIR text with the dialects res-opt registers, parsed
// and verified as res-opt does before running any pass. The res ops' custom
// verifiers and shape rules see every module the parser builds.
//
//===----------------------------------------------------------------------===//

#include "dialect/ResDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const mlir::DialectRegistry *registry = [] {
    auto *r = new mlir::DialectRegistry();
    r->insert<res::ResDialect, mlir::func::FuncDialect>();
    return r;
  }();
  mlir::MLIRContext context(*registry, mlir::MLIRContext::Threading::DISABLED);
  // Diagnostics are expected; only crashes and sanitizer reports count.
  context.getDiagEngine().registerHandler([](mlir::Diagnostic &) {});
  // MLIR's lexer expects a NUL after the buffer, as res-opt and resc give it
  // (MemoryBuffer::getFile); parseSourceString on the fuzzer's bytes would
  // read one past the end, a harness bug rather than a parser one.
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(
          llvm::StringRef(reinterpret_cast<const char *>(data), size),
          "fuzz.mlir"),
      llvm::SMLoc());
  mlir::ParserConfig config(&context, /*verifyAfterParse=*/true);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceFile<mlir::ModuleOp>(sourceMgr, config);
  return 0;
}
