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

int64_t featureAxis(int64_t rank) {
  if (rank == 2 || rank == 3)
    return rank - 1;
  if (rank == 4)
    return 1;
  return -1;
}

int64_t layerNormAxis(int64_t rank) { return featureAxis(rank); }

std::vector<int64_t> channelScaleShape(const std::vector<int64_t> &input) {
  if (input.size() == 4)
    return {input[1], 1, 1};
  if (input.size() == 2 || input.size() == 3)
    return {input.back()};
  return {};
}

} // namespace res
