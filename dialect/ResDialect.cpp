#include "dialect/ResDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace res;

#include "dialect/ResDialect.cpp.inc"
#include "dialect/ResEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialect/ResAttrs.cpp.inc"

void ResDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialect/ResAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "dialect/ResOps.cpp.inc"
      >();
}
