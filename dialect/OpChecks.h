// Checks shared by the verifiers of the forward ops (ResOps.cpp) and of the
// training ops (ResGradOps.cpp), so both word their errors alike.
#ifndef RES_DIALECT_OPCHECKS_H
#define RES_DIALECT_OPCHECKS_H

#include "mlir/IR/Operation.h"
#include "mlir/IR/Region.h"
#include "mlir/Support/LogicalResult.h"

#include "llvm/ADT/SmallVector.h"

#include <string>

namespace res::checks {

/// Dim `i` of a ranked tensor type, kDynamicDim when dynamic.
int64_t dimOf(mlir::Type type, unsigned i);
llvm::SmallVector<int64_t> dimsOf(mlir::Type type);
/// "[?, 16, 32, 32]".
std::string shapeString(llvm::ArrayRef<int64_t> dims);

/// Checks that `result` has exactly the dims the op's rule gives.
mlir::LogicalResult checkResultShape(mlir::Operation *op, mlir::Type result,
                                     llvm::ArrayRef<int64_t> expected);
/// A two-value attribute (stride, padding, ...) of values >= `minimum`.
mlir::LogicalResult checkPairAttr(mlir::Operation *op, llvm::StringRef name,
                                  llvm::ArrayRef<int64_t> values,
                                  int64_t minimum);
/// A 1-D operand of `size` elements (any size when `size` is dynamic).
mlir::LogicalResult checkVector(mlir::Operation *op, llvm::StringRef what,
                                mlir::Type type, int64_t size);
/// Spatial output dims of a windowed op appended to `out`, rejecting windows
/// that do not fit.
mlir::LogicalResult windowDims(mlir::Operation *op, mlir::Type input,
                               llvm::ArrayRef<int64_t> kernel,
                               llvm::ArrayRef<int64_t> stride,
                               llvm::ArrayRef<int64_t> pad,
                               llvm::ArrayRef<int64_t> dilation,
                               llvm::SmallVectorImpl<int64_t> &out);
/// The one block of a residual/repeat region must take the op's input and
/// yield `yielded`.
mlir::LogicalResult checkRegion(mlir::Operation *op, mlir::Region &region,
                                llvm::StringRef name, mlir::Type input,
                                mlir::Type yielded);

} // namespace res::checks

#endif
