//===- FuzzResFrontend.cpp - libFuzzer target: .res parser and checker ----===//
//
// Feeds arbitrary bytes to compileResSource as a .res file, with the same
// diagnostic printer `resc check` uses (it prints source lines and carets,
// so it sees every hostile byte too). Any crash, sanitizer report or module
// that fails the verifier after a successful check is a finding.
//
//===----------------------------------------------------------------------===//

#include "frontend/Diagnostics.h"
#include "frontend/Frontend.h"

#include "mlir/IR/Verifier.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // A fresh context per input: uniqued types and attributes would otherwise
  // pile up over millions of runs.
  mlir::MLIRContext context(mlir::MLIRContext::Threading::DISABLED);
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(
          llvm::StringRef(reinterpret_cast<const char *>(data), size),
          "fuzz.res"),
      llvm::SMLoc());
  std::string diagnostics;
  llvm::raw_string_ostream os(diagnostics);
  res::DiagnosticPrinter printer(sourceMgr, &context, os);
  // Each input must finish within libFuzzer's 10 s timeout under ASan, where
  // elaborating costs about 10x the release build's 5 us per op: the
  // default limit of 2,000,000 ops (a one-line `repeat` reaches it) took
  // over 10 s. 20,000 is above every example; the default limit itself is
  // tested in tests/hostile.
  res::FrontendOptions options;
  options.maxOps = 20000;
  mlir::OwningOpRef<mlir::ModuleOp> module =
      res::compileResSource(sourceMgr, context, options);
  if (module && mlir::failed(mlir::verify(*module)))
    std::abort(); // the checker accepted what the dialect rejects
  return 0;
}
