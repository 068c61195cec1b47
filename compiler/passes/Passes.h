// The passes of resc over the res dialect (declared in Passes.td, one .cpp
// each) and their registration with the MLIR pass registry, so res-opt and
// resc's --pipeline find them by name.
#ifndef RESC_COMPILER_PASSES_PASSES_H
#define RESC_COMPILER_PASSES_PASSES_H

#include "dialect/ResDialect.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

#include <memory>

namespace res {

#define GEN_PASS_DECL
#include "compiler/passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "compiler/passes/Passes.h.inc"

} // namespace res

#endif
