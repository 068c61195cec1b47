// Compiles .res text in process and keeps what the diagnostics printed.
#ifndef RESC_TESTS_FRONTEND_FRONTENDTESTUTIL_H
#define RESC_TESTS_FRONTEND_FRONTENDTESTUTIL_H

#include "dialect/ResDialect.h"
#include "frontend/Frontend.h"

#include "mlir/IR/MLIRContext.h"

#include <map>
#include <string>
#include <vector>

namespace res::test {

struct Compiled {
  std::unique_ptr<mlir::MLIRContext> context;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  std::string diagnostics;

  bool ok() const { return static_cast<bool>(module); }
  mlir::func::FuncOp function();
  /// Parameter name -> shape, for every res.param.
  std::map<std::string, std::vector<int64_t>> params(bool buffers = true);
  /// The first op whose `layer` is `name`.
  mlir::Operation *layer(llvm::StringRef name);
  /// The shape of a value, with -1 for dynamic dims.
  static std::vector<int64_t> shape(mlir::Value value);
};

Compiled compile(const std::string &text,
                 const std::string &bufferName = "test.res",
                 const std::string &model = "");
Compiled compileFile(const std::string &path);
std::string readFile(const std::string &path);

} // namespace res::test

#endif
