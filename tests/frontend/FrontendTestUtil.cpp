#include "FrontendTestUtil.h"

#include "frontend/Diagnostics.h"

#include "llvm/Support/MemoryBuffer.h"

#include <fstream>
#include <sstream>

namespace res::test {

Compiled compile(const std::string &text, const std::string &bufferName,
                 const std::string &model) {
  Compiled c;
  c.context = std::make_unique<mlir::MLIRContext>();
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(text, bufferName), llvm::SMLoc());
  llvm::raw_string_ostream os(c.diagnostics);
  {
    DiagnosticPrinter printer(sourceMgr, c.context.get(), os);
    FrontendOptions options;
    options.modelName = model;
    c.module = compileResSource(sourceMgr, *c.context, options);
  }
  os.flush();
  return c;
}

std::string readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Compiled compileFile(const std::string &path) {
  std::string name = path.substr(path.find_last_of('/') + 1);
  return compile(readFile(path), name);
}

mlir::func::FuncOp Compiled::function() {
  for (auto fn : module->getOps<mlir::func::FuncOp>())
    return fn;
  return nullptr;
}

std::map<std::string, std::vector<int64_t>> Compiled::params(bool buffers) {
  std::map<std::string, std::vector<int64_t>> out;
  for (auto p : module->getOps<ParamOp>())
    if (buffers || !p.getBuffer()) {
      auto shape = llvm::cast<mlir::RankedTensorType>(p.getType()).getShape();
      out[p.getSymName().str()] = {shape.begin(), shape.end()};
    }
  return out;
}

mlir::Operation *Compiled::layer(llvm::StringRef name) {
  mlir::Operation *found = nullptr;
  module->walk([&](mlir::Operation *op) {
    auto attr = op->getAttrOfType<mlir::StringAttr>("layer");
    if (!found && attr && attr.getValue() == name)
      found = op;
  });
  return found;
}

std::vector<int64_t> Compiled::shape(mlir::Value value) {
  std::vector<int64_t> dims;
  for (int64_t d :
       llvm::cast<mlir::RankedTensorType>(value.getType()).getShape())
    dims.push_back(mlir::ShapedType::isDynamic(d) ? -1 : d);
  return dims;
}

} // namespace res::test
