// Definitions of OpChecks.h.
#include "dialect/OpChecks.h"
#include "dialect/ResDialect.h"
#include "dialect/ShapeRules.h"

#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;

namespace res::checks {

int64_t dimOf(Type type, unsigned i) {
  auto t = cast<RankedTensorType>(type);
  int64_t d = t.getDimSize(i);
  return ShapedType::isDynamic(d) ? kDynamicDim : d;
}

std::string shapeString(llvm::ArrayRef<int64_t> dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i)
      s += ", ";
    s += dims[i] < 0 ? "?" : std::to_string(dims[i]);
  }
  return s + "]";
}

llvm::SmallVector<int64_t> dimsOf(Type type) {
  llvm::SmallVector<int64_t> dims;
  auto t = cast<RankedTensorType>(type);
  for (unsigned i = 0; i < t.getRank(); ++i)
    dims.push_back(dimOf(t, i));
  return dims;
}

LogicalResult checkResultShape(Operation *op, Type result,
                               llvm::ArrayRef<int64_t> expected) {
  auto got = dimsOf(result);
  if (llvm::ArrayRef<int64_t>(got) != expected)
    return op->emitOpError("result shape ")
           << shapeString(got) << " does not match the expected "
           << shapeString(expected);
  return success();
}

LogicalResult checkPairAttr(Operation *op, StringRef name,
                            llvm::ArrayRef<int64_t> values, int64_t minimum) {
  if (values.size() != 2)
    return op->emitOpError()
           << "'" << name << "' needs 2 values, got " << values.size();
  for (int64_t v : values)
    if (v < minimum)
      return op->emitOpError() << "'" << name << "' must be at least "
                               << minimum << ", got " << v;
  return success();
}

LogicalResult checkVector(Operation *op, StringRef what, Type type,
                          int64_t size) {
  int64_t got = dimOf(type, 0);
  if (size >= 0 && got != size)
    return op->emitOpError()
           << what << " has " << got << " elements, expected " << size;
  return success();
}

LogicalResult windowDims(Operation *op, Type input,
                         llvm::ArrayRef<int64_t> kernel,
                         llvm::ArrayRef<int64_t> stride,
                         llvm::ArrayRef<int64_t> pad,
                         llvm::ArrayRef<int64_t> dilation,
                         llvm::SmallVectorImpl<int64_t> &out) {
  for (unsigned i = 0; i < 2; ++i) {
    int64_t in = dimOf(input, 2 + i);
    int64_t size =
        windowOutputSize(in, kernel[i], stride[i], pad[i], dilation[i]);
    if (in >= 0 && size <= 0)
      return op->emitOpError() << "window of " << kernel[i]
                               << " does not fit the input size " << in;
    out.push_back(size);
  }
  return success();
}

LogicalResult checkRegion(Operation *op, Region &region, StringRef name,
                          Type input, Type yielded) {
  if (region.empty())
    return op->emitOpError() << "'" << name << "' region is empty";
  Block &block = region.front();
  if (block.getNumArguments() != 1 || block.getArgument(0).getType() != input)
    return op->emitOpError()
           << "'" << name << "' region must take one argument of type "
           << input;
  auto yield = dyn_cast<YieldOp>(block.getTerminator());
  if (!yield)
    return op->emitOpError() << "'" << name << "' region must end in res.yield";
  if (yield.getValue().getType() != yielded)
    return yield.emitOpError()
           << "yields " << yield.getValue().getType() << " but the " << name
           << " must give " << yielded;
  return success();
}

} // namespace res::checks
