#include "compiler/codegen/HalideErrors.h"

#include <Halide.h>

namespace res {
namespace codegen {

namespace {

struct ThrowingReporter : Halide::CompileTimeErrorReporter {
  void warning(const char *) override {}
  void error(const char *message) override {
    throw Halide::CompileError(message ? message : "Halide error");
  }
};

} // namespace

void ensureRecoverableHalideErrors() {
  static const bool installed = [] {
    if (!Halide::exceptions_enabled()) {
      static ThrowingReporter reporter;
      Halide::set_custom_compile_time_error_reporter(&reporter);
    }
    return true;
  }();
  (void)installed;
}

std::string trimHalideMessage(std::string message) {
  const std::string prefix = "Error: ";
  if (message.compare(0, prefix.size(), prefix) == 0)
    message.erase(0, prefix.size());
  while (!message.empty() && (message.back() == '\n' || message.back() == ' '))
    message.pop_back();
  return message;
}

} // namespace codegen
} // namespace res
