// A fixture that parses a res module from text and runs it through the
// interpreter, capturing diagnostics so error tests can read them.
#ifndef RESC_TESTS_INTERPRETER_INTERPRETERTESTUTIL_H
#define RESC_TESTS_INTERPRETER_INTERPRETERTESTUTIL_H

#include "compiler/interpreter/Interpreter.h"
#include "dialect/ResDialect.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace res::testing {

inline resc::Tensor tensor(std::vector<int64_t> shape,
                           std::vector<float> data) {
  resc::Tensor t;
  t.shape = std::move(shape);
  t.data = std::move(data);
  return t;
}

/// 1, 2, ..., n in `shape` (the hand computations below number pixels so).
inline resc::Tensor iota(std::vector<int64_t> shape, float start = 1.0f,
                         float step = 1.0f) {
  resc::Tensor t(shape);
  for (int64_t i = 0; i < t.numel(); ++i)
    t.data[i] = start + step * static_cast<float>(i);
  return t;
}

/// "file:line:col", as a driver would print it.
inline std::string where(mlir::Location loc) {
  if (auto file = mlir::dyn_cast<mlir::FileLineColLoc>(loc))
    return file.getFilename().str() + ":" + std::to_string(file.getLine()) +
           ":" + std::to_string(file.getColumn());
  std::string s;
  llvm::raw_string_ostream os(s);
  os << loc;
  return s;
}

class InterpreterTest : public ::testing::Test {
protected:
  InterpreterTest() {
    context.loadDialect<res::ResDialect, mlir::func::FuncDialect>();
  }

  /// Parses `ir` (which must parse, and verify when `verify` is set) and
  /// runs its first function.
  mlir::FailureOr<std::vector<resc::Tensor>>
  run(llvm::StringRef ir, const std::vector<resc::Tensor> &inputs,
      const resc::TensorMap &params = {}, bool verify = true) {
    mlir::ParserConfig config(&context, verify);
    module = mlir::parseSourceString<mlir::ModuleOp>(ir, config);
    if (!module) {
      ADD_FAILURE() << "the test IR does not parse";
      return mlir::failure();
    }
    mlir::func::FuncOp fn;
    module->walk([&](mlir::func::FuncOp f) {
      if (!fn)
        fn = f;
    });
    diagnostics.clear();
    mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &d) {
      llvm::raw_string_ostream os(diagnostics);
      os << where(d.getLocation()) << ": " << d << "\n";
      for (mlir::Diagnostic &note : d.getNotes())
        os << where(note.getLocation()) << ": note: " << note << "\n";
      return mlir::success();
    });
    return res::interpret(fn, inputs, params);
  }

  /// Runs a one-output model and returns its output, failing the test if the
  /// interpreter fails.
  resc::Tensor runOne(llvm::StringRef ir,
                      const std::vector<resc::Tensor> &inputs,
                      const resc::TensorMap &params = {}) {
    auto out = run(ir, inputs, params);
    if (failed(out)) {
      ADD_FAILURE() << "interpretation failed:\n" << diagnostics;
      return {};
    }
    if (out->size() != 1) {
      ADD_FAILURE() << "expected one output, got " << out->size();
      return {};
    }
    return (*out)[0];
  }

  /// Checks that the run fails with a diagnostic containing each of `parts`.
  void expectError(llvm::StringRef ir, const std::vector<resc::Tensor> &inputs,
                   const resc::TensorMap &params,
                   const std::vector<std::string> &parts) {
    auto out = run(ir, inputs, params);
    EXPECT_TRUE(failed(out)) << "the run should have failed";
    for (const std::string &part : parts)
      EXPECT_NE(diagnostics.find(part), std::string::npos)
          << "missing '" << part << "' in:\n"
          << diagnostics;
  }

  mlir::MLIRContext context;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  std::string diagnostics;
};

/// Shape equal and every element within 1e-6 relative (1e-6 absolute near 0):
/// the interpreter sums in double, so only the final rounding to f32 differs
/// from exact arithmetic.
inline void expectTensor(const resc::Tensor &got,
                         const std::vector<int64_t> &shape,
                         const std::vector<float> &want) {
  ASSERT_EQ(got.shape, shape);
  ASSERT_EQ(got.data.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_NEAR(got.data[i], want[i], 1e-6 * std::max(1.0f, std::abs(want[i])))
        << "at element " << i;
}

} // namespace res::testing

#endif
