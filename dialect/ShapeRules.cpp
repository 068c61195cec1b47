#include "dialect/ShapeRules.h"

namespace res {

int64_t windowOutputSize(int64_t in, int64_t kernel, int64_t stride,
                         int64_t pad, int64_t dilation) {
  if (in < 0)
    return kDynamicDim;
  // Floor division as PyTorch's Conv2d/MaxPool2d (ceil_mode=False).
  int64_t span = in + 2 * pad - dilation * (kernel - 1) - 1;
  if (span < 0)
    return 0;
  return span / stride + 1;
}

} // namespace res
