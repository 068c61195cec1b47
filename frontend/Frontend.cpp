#include "frontend/Frontend.h"

#include "dialect/ResDialect.h"
#include "frontend/Elaborator.h"
#include "frontend/Parser.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/ConvertUTF.h"

using namespace mlir;

namespace res {

void loadFrontendDialects(MLIRContext &context) {
  context.loadDialect<ResDialect, func::FuncDialect>();
}

static Location locationOf(llvm::SourceMgr &sourceMgr, MLIRContext &context,
                           llvm::SMLoc at) {
  unsigned buffer = sourceMgr.getMainFileID();
  auto [line, column] = sourceMgr.getLineAndColumn(at, buffer);
  return FileLineColLoc::get(
      &context, sourceMgr.getMemoryBuffer(buffer)->getBufferIdentifier(), line,
      column);
}

/// Rejects input that is not text before the lexer sees it: a NUL or
/// malformed UTF-8 would otherwise surface as a confusing token error.
static bool checkEncoding(llvm::SourceMgr &sourceMgr, MLIRContext &context) {
  llvm::StringRef text =
      sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID())->getBuffer();
  if (text.size() > kMaxSourceBytes) {
    emitError(locationOf(sourceMgr, context,
                         llvm::SMLoc::getFromPointer(text.begin())))
        << "the file is " << text.size() << " bytes; the limit is "
        << kMaxSourceBytes << " bytes (64 MiB)";
    return false;
  }
  const auto *start = reinterpret_cast<const llvm::UTF8 *>(text.begin());
  const auto *cursor = start;
  const auto *end = reinterpret_cast<const llvm::UTF8 *>(text.end());
  if (!llvm::isLegalUTF8String(&cursor, end)) {
    auto at = llvm::SMLoc::getFromPointer(text.begin() + (cursor - start));
    emitError(locationOf(sourceMgr, context, at))
        << "the file is not valid UTF-8 text (byte 0x"
        << llvm::utohexstr(*cursor, /*LowerCase=*/true) << ")";
    return false;
  }
  size_t nul = text.find('\0');
  if (nul != llvm::StringRef::npos) {
    emitError(locationOf(sourceMgr, context,
                         llvm::SMLoc::getFromPointer(text.begin() + nul)))
        << "unexpected character NUL (byte 0x00); is this a binary file?";
    return false;
  }
  return true;
}

OwningOpRef<ModuleOp> compileResSource(llvm::SourceMgr &sourceMgr,
                                       MLIRContext &context,
                                       const FrontendOptions &options) {
  loadFrontendDialects(context);
  if (!checkEncoding(sourceMgr, context))
    return nullptr;
  llvm::StringRef text =
      sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID())->getBuffer();
  ast::File file;
  Parser parser(text, [&](llvm::SMLoc at, const std::string &message) {
    emitError(locationOf(sourceMgr, context, at)) << message;
  });
  if (!parser.parseFile(file))
    return nullptr;
  Elaborator elaborator(sourceMgr, context, file);
  return elaborator.run(options);
}

} // namespace res
