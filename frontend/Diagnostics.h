// Prints MLIR diagnostics as `file:line:col: error: message`, then the source
// line and a caret under the column, for .res and .mlir inputs alike. Unlike
// MLIR's SourceMgrDiagnosticHandler it cuts very long lines to a window
// around the column and shows control bytes as '?', so a 10 MB line or a
// binary file cannot flood the terminal.
#ifndef RESC_FRONTEND_DIAGNOSTICS_H
#define RESC_FRONTEND_DIAGNOSTICS_H

#include "mlir/IR/Diagnostics.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

namespace res {

class DiagnosticPrinter : public mlir::ScopedDiagnosticHandler {
public:
  /// `toolPrefix` (e.g. "resc: ") starts diagnostics that have no file
  /// location, which would otherwise print as a bare `error:`.
  DiagnosticPrinter(llvm::SourceMgr &sourceMgr, mlir::MLIRContext *context,
                    llvm::raw_ostream &os = llvm::errs(),
                    std::string toolPrefix = "");

  unsigned errorCount() const { return errors; }
  /// Remarks (what a pass did or why not) are dropped unless asked for.
  void setShowRemarks(bool show) { showRemarks = show; }

  /// Formats one diagnostic (without its notes); exposed for tests.
  void print(mlir::Diagnostic &diag);

private:
  void printSourceLine(llvm::StringRef file, unsigned line, unsigned column);

  llvm::SourceMgr &sourceMgr;
  llvm::raw_ostream &os;
  std::string toolPrefix;
  bool showRemarks = true;
  unsigned errors = 0;
};

} // namespace res

#endif
