#include "frontend/Frontend.h"

#include "dialect/ResDialect.h"
#include "frontend/Elaborator.h"
#include "frontend/Parser.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/ConvertUTF.h"
#include "llvm/Support/MathExtras.h"

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

uint64_t TensorMemory::total() const {
  return llvm::SaturatingAdd(weights, activations);
}

/// Bytes of one value of `type` at batch 1, saturating; 0 for non-tensors.
static uint64_t bytesAtBatchOne(Type type) {
  auto shaped = llvm::dyn_cast<ShapedType>(type);
  if (!shaped || !shaped.hasRank())
    return 0;
  Type element = shaped.getElementType();
  uint64_t bits = element.isIntOrFloat() ? element.getIntOrFloatBitWidth() : 32;
  uint64_t bytes = llvm::divideCeil(bits, uint64_t(8));
  for (int64_t dim : shaped.getShape())
    if (!ShapedType::isDynamic(dim))
      bytes = llvm::SaturatingMultiply(bytes, uint64_t(dim));
  return bytes;
}

TensorMemory estimateTensorMemory(ModuleOp module) {
  TensorMemory memory;
  module.walk([&](Operation *op) {
    // A parameter is counted once, where it is declared; res.weight only
    // refers to it (a tied repeat reads one parameter many times).
    if (auto param = dyn_cast<ParamOp>(op)) {
      memory.weights =
          llvm::SaturatingAdd(memory.weights, bytesAtBatchOne(param.getType()));
      return;
    }
    if (isa<WeightOp>(op))
      return;
    for (Value result : op->getResults())
      memory.activations = llvm::SaturatingAdd(
          memory.activations, bytesAtBatchOne(result.getType()));
  });
  return memory;
}

/// Refuses a model too large to run before anything allocates for it (the
/// weights binder, the interpreter, code generation).
static bool checkMemoryLimit(ModuleOp module, uint64_t limit) {
  if (limit == 0)
    return true;
  TensorMemory memory = estimateTensorMemory(module);
  if (memory.total() <= limit)
    return true;
  Location at = module.getLoc();
  for (auto fn : module.getOps<func::FuncOp>())
    if (!fn.isExternal())
      at = fn.getLoc();
  auto bytes = [](uint64_t n) {
    return (n == UINT64_MAX ? "at least " : "") + std::to_string(n);
  };
  emitError(at) << "the model's tensors need " << bytes(memory.total())
                << " bytes at batch 1 (" << bytes(memory.weights)
                << " of weights, " << bytes(memory.activations)
                << " of activations), more than the memory limit of " << limit
                << " bytes (resc --max-memory)";
  return false;
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
  OwningOpRef<ModuleOp> module = elaborator.run(options);
  if (module && !checkMemoryLimit(*module, options.maxMemoryBytes))
    return nullptr;
  return module;
}

} // namespace res
