// Halide's compile errors as messages resc can report, for every caller of
// libHalide (the JIT, the AOT compiler, the plan printer).
#ifndef RESC_COMPILER_CODEGEN_HALIDEERRORS_H
#define RESC_COMPILER_CODEGEN_HALIDEERRORS_H

#include <string>

namespace res {
namespace codegen {

/// Makes libHalide's compile errors exceptions (Halide::CompileError) that
/// the caller can catch. Debian's libHalide throws them already; a build
/// without exceptions would abort instead, so there a reporter throws from
/// resc's side, unwinding through libHalide's frames (they keep unwind
/// tables) at the cost of what those frames own. Idempotent.
void ensureRecoverableHalideErrors();

/// Halide's error text lacks a trailing full stop and may end in newlines;
/// this trims it (and the "Error: " prefix) for a diagnostic.
std::string trimHalideMessage(std::string message);

} // namespace codegen
} // namespace res

#endif
