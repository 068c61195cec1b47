// A dense f32 tensor in C order: the unit that weights files, .npy files and
// the reference interpreter exchange. Plain C++ with no compiler dependency.
#ifndef RESC_RUNTIME_TENSOR_H
#define RESC_RUNTIME_TENSOR_H

#include <cstdint>
#include <string>
#include <vector>

namespace resc {

struct Tensor {
  std::vector<int64_t> shape;
  std::vector<float> data;

  Tensor() = default;
  explicit Tensor(std::vector<int64_t> shape, float fill = 0.0f);

  int64_t numel() const { return static_cast<int64_t>(data.size()); }
  int64_t rank() const { return static_cast<int64_t>(shape.size()); }
};

/// "[2, 3, 4]"
std::string shapeToString(const std::vector<int64_t> &shape);

/// Product of dims, or -1 when a dim is negative or the product would
/// overflow int64 (so hostile shapes in files cannot wrap around).
int64_t checkedNumel(const std::vector<int64_t> &shape);

} // namespace resc

#endif
