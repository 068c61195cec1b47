//===- Tensor.cpp - Dense f32 tensors -------------------------------------===//

#include "resc/Tensor.h"

#include <cstdint>
#include <limits>
#include <utility>

namespace resc {

Tensor::Tensor(std::vector<int64_t> shape, float fill)
    : shape(std::move(shape)) {
  // A constructor cannot report errors, so an invalid shape yields no data;
  // readers and writers validate with checkedNumel before building tensors.
  int64_t count = checkedNumel(this->shape);
  if (count > 0)
    data.assign(static_cast<size_t>(count), fill);
}

std::string shapeToString(const std::vector<int64_t> &shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      text += ", ";
    text += std::to_string(shape[i]);
  }
  return text + "]";
}

int64_t checkedNumel(const std::vector<int64_t> &shape) {
  // A zero dim makes the product zero however large the others are, so it is
  // looked for first rather than letting an earlier partial product overflow.
  bool hasZero = false;
  for (int64_t dim : shape) {
    if (dim < 0)
      return -1;
    hasZero |= dim == 0;
  }
  if (hasZero)
    return 0;
  int64_t product = 1;
  for (int64_t dim : shape) {
    if (product > std::numeric_limits<int64_t>::max() / dim)
      return -1;
    product *= dim;
  }
  return product;
}

} // namespace resc
