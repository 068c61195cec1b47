#include "LimitsTestUtil.h"

#include "frontend/Diagnostics.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

namespace res::test {

static mlir::OwningOpRef<mlir::ModuleOp>
compile(mlir::MLIRContext &context, const std::string &text,
        const std::string &name, uint64_t maxMemoryBytes, int64_t maxOps,
        std::string &diagnostics) {
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(llvm::MemoryBuffer::getMemBufferCopy(text, name),
                               llvm::SMLoc());
  llvm::raw_string_ostream os(diagnostics);
  DiagnosticPrinter printer(sourceMgr, &context, os);
  FrontendOptions options;
  options.maxMemoryBytes = maxMemoryBytes;
  options.maxOps = maxOps;
  return compileResSource(sourceMgr, context, options);
}

Checked check(const std::string &text, const std::string &name,
              uint64_t maxMemoryBytes, int64_t maxOps) {
  mlir::MLIRContext context;
  Checked c;
  c.ok =
      bool(compile(context, text, name, maxMemoryBytes, maxOps, c.diagnostics));
  return c;
}

TensorMemory memoryOf(const std::string &text) {
  mlir::MLIRContext context;
  std::string diagnostics;
  auto module = compile(context, text, "memory.res", 0, kMaxOps, diagnostics);
  return module ? estimateTensorMemory(*module) : TensorMemory{};
}

} // namespace res::test
