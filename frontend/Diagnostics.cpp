#include "frontend/Diagnostics.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Location.h"
#include "llvm/Support/ConvertUTF.h"

using namespace mlir;

namespace res {

static constexpr size_t kWindow = 120;

DiagnosticPrinter::DiagnosticPrinter(llvm::SourceMgr &sourceMgr,
                                     MLIRContext *context,
                                     llvm::raw_ostream &os,
                                     std::string toolPrefix)
    : ScopedDiagnosticHandler(context), sourceMgr(sourceMgr), os(os),
      toolPrefix(std::move(toolPrefix)) {
  setHandler([this](Diagnostic &diag) {
    if (diag.getSeverity() == DiagnosticSeverity::Remark && !showRemarks)
      return success();
    print(diag);
    for (Diagnostic &note : diag.getNotes())
      print(note);
    this->os.flush();
    return success();
  });
}

static const char *severityName(DiagnosticSeverity severity) {
  switch (severity) {
  case DiagnosticSeverity::Error:
    return "error";
  case DiagnosticSeverity::Warning:
    return "warning";
  case DiagnosticSeverity::Note:
    return "note";
  case DiagnosticSeverity::Remark:
    return "remark";
  }
  return "error";
}

void DiagnosticPrinter::print(Diagnostic &diag) {
  if (diag.getSeverity() == DiagnosticSeverity::Error)
    ++errors;
  FileLineColLoc fileLoc;
  diag.getLocation()->walk([&](Location l) {
    if (auto f = dyn_cast<FileLineColLoc>(l)) {
      fileLoc = f;
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  if (fileLoc)
    os << fileLoc.getFilename().getValue() << ":" << fileLoc.getLine() << ":"
       << fileLoc.getColumn() << ": ";
  else
    os << toolPrefix;
  os << severityName(diag.getSeverity()) << ": " << diag.str() << "\n";
  if (fileLoc)
    printSourceLine(fileLoc.getFilename().getValue(), fileLoc.getLine(),
                    fileLoc.getColumn());
}

void DiagnosticPrinter::printSourceLine(llvm::StringRef file, unsigned line,
                                        unsigned column) {
  unsigned buffer = 0;
  for (unsigned i = 1; i <= sourceMgr.getNumBuffers(); ++i)
    if (sourceMgr.getMemoryBuffer(i)->getBufferIdentifier() == file) {
      buffer = i;
      break;
    }
  if (!buffer || line == 0)
    return;
  llvm::SMLoc start = sourceMgr.FindLocForLineAndColumn(buffer, line, 1);
  if (!start.isValid())
    return;
  llvm::StringRef text = sourceMgr.getMemoryBuffer(buffer)->getBuffer();
  size_t begin = start.getPointer() - text.begin();
  size_t end = text.find('\n', begin);
  if (end == llvm::StringRef::npos)
    end = text.size();
  llvm::StringRef full = text.slice(begin, end);
  size_t col = column ? column - 1 : 0;
  if (col > full.size())
    col = full.size();

  size_t from = 0, to = full.size();
  if (full.size() > kWindow) {
    from = col > kWindow / 2 ? col - kWindow / 2 : 0;
    to = std::min(full.size(), from + kWindow);
  }
  // Bytes of malformed UTF-8 would garble the terminal: show them as '?'.
  const auto *lineStart = reinterpret_cast<const llvm::UTF8 *>(full.begin());
  bool validUtf8 = llvm::isLegalUTF8String(
      &lineStart, reinterpret_cast<const llvm::UTF8 *>(full.end()));
  std::string shown, caret;
  if (from > 0) {
    shown += "...";
    caret += "   ";
  }
  for (size_t i = from; i < to; ++i) {
    unsigned char c = full[i];
    bool continuation = (c & 0xC0) == 0x80;
    if (c == '\t')
      shown += ' ';
    else if (c < 0x20 || c == 0x7f || (c >= 0x80 && !validUtf8))
      shown += '?';
    else
      shown += char(c);
    if (i < col && !continuation)
      caret += ' ';
  }
  if (to < full.size())
    shown += "...";
  os << "  " << shown << "\n  " << caret << "^\n";
}

} // namespace res
