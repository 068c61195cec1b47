// Operand checks shared by the gradient kernels (GradKernels.cpp,
// WindowGradKernels.cpp): every operand is checked before any loop reads it,
// and every message says what was expected.
#ifndef RESC_COMPILER_INTERPRETER_GRADKERNELCHECKS_H
#define RESC_COMPILER_INTERPRETER_GRADKERNELCHECKS_H

#include "compiler/interpreter/GradKernels.h"

#include <algorithm>
#include <string>
#include <vector>

namespace res {
namespace kernels {
namespace gradchecks {

using resc::Tensor;

// As in Kernels.cpp: larger window attributes can only come from hostile IR
// and would overflow the index arithmetic.
inline constexpr int64_t kMaxAttr = int64_t(1) << 24;

/// No real tensor has a dim this large; bounding dims keeps sums like
/// in + 2 * padding from overflowing.
inline constexpr int64_t kMaxDim = int64_t(1) << 48;

using Shape = std::vector<int64_t>;

inline std::string str(const Shape &shape) {
  return resc::shapeToString(shape);
}
inline std::string num(int64_t v) { return std::to_string(v); }

inline bool wellFormed(const Tensor &t, const char *what, std::string &error) {
  int64_t n = resc::checkedNumel(t.shape);
  if (n < 0 || n != t.numel()) {
    error = std::string(what) + " has shape " + str(t.shape) + " but " +
            num(t.numel()) + " elements";
    return false;
  }
  return true;
}

inline bool hasRank(const Tensor &t, const char *what, int64_t rank,
                    std::string &error) {
  if (!wellFormed(t, what, error))
    return false;
  if (t.rank() != rank) {
    error = std::string(what) + " must have rank " + num(rank) +
            ", got shape " + str(t.shape);
    return false;
  }
  return true;
}

/// Rank >= 2, so that dim 1 is the channel.
inline bool hasChannels(const Tensor &t, const char *what, std::string &error) {
  if (!wellFormed(t, what, error))
    return false;
  if (t.rank() < 2) {
    error = std::string(what) + " " + str(t.shape) +
            " has no channel dimension (dim 1)";
    return false;
  }
  return true;
}

inline bool isVector(const Tensor &t, const char *what, int64_t size,
                     std::string &error) {
  if (!hasRank(t, what, 1, error))
    return false;
  if (t.shape[0] != size) {
    error = std::string(what) + " has shape " + str(t.shape) + ", expected [" +
            num(size) + "]";
    return false;
  }
  return true;
}

inline bool sameShape(const Tensor &a, const char *aName, const Tensor &b,
                      const char *bName, std::string &error) {
  if (!wellFormed(a, aName, error) || !wellFormed(b, bName, error))
    return false;
  if (a.shape != b.shape) {
    error = std::string(aName) + " has shape " + str(a.shape) + " but " +
            bName + " has shape " + str(b.shape) + "; they must match";
    return false;
  }
  return true;
}

inline bool pairInRange(const Pair &p, const char *what, int64_t minimum,
                        std::string &error) {
  for (int64_t v : p)
    if (v < minimum || v > kMaxAttr) {
      error = std::string(what) + " must be in [" + num(minimum) + ", " +
              num(kMaxAttr) + "], got " + num(v);
      return false;
    }
  return true;
}

inline bool allocate(const Shape &shape, Tensor &out, std::string &error) {
  if (resc::checkedNumel(shape) < 0) {
    error = "result shape " + str(shape) + " is too large";
    return false;
  }
  out = Tensor(shape);
  return true;
}

/// The result shape from the op's result type: `rank` dims, the batch taken
/// from the operands when dynamic, every other dim static.
inline bool resolveShape(const Shape &outShape, size_t rank, int64_t batch,
                         Shape &resolved, std::string &error) {
  if (outShape.size() != rank) {
    error = "result shape " + str(outShape) + " must have rank " +
            num(int64_t(rank));
    return false;
  }
  resolved = outShape;
  if (resolved[0] < 0)
    resolved[0] = batch;
  else if (resolved[0] != batch) {
    error = "result shape " + str(outShape) + " has batch " + num(outShape[0]) +
            " but the operands have batch " + num(batch);
    return false;
  }
  for (size_t i = 1; i < rank; ++i)
    if (resolved[i] < 0) {
      error = "result shape " + str(outShape) +
              " must be static except for the batch dim";
      return false;
    }
  // One huge dim beside an empty batch has no elements, but would still
  // overflow the window arithmetic.
  bool hugeDim = std::any_of(resolved.begin() + 1, resolved.end(),
                             [](int64_t d) { return d > kMaxDim; });
  if (hugeDim || resc::checkedNumel(resolved) < 0) {
    error = "result shape " + str(outShape) + " is too large";
    return false;
  }
  return true;
}

/// The float result of sums kept in double.
inline Tensor fromDouble(const Shape &shape, const std::vector<double> &acc) {
  Tensor out(shape);
  for (size_t i = 0; i < acc.size(); ++i)
    out.data[i] = static_cast<float>(acc[i]);
  return out;
}

} // namespace gradchecks
} // namespace kernels
} // namespace res

#endif
