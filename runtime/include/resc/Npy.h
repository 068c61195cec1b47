// NumPy .npy files (format versions 1.0-3.0) holding little-endian f32 in C
// order, the format users already move tensors around in.
#ifndef RESC_RUNTIME_NPY_H
#define RESC_RUNTIME_NPY_H

#include "resc/Tensor.h"

#include <string>

namespace resc {

/// Reads `path`. Rejects other dtypes ('<f8', '>f4', ...), Fortran order,
/// truncated data and malformed headers with a message naming the file and
/// the problem.
bool readNpy(const std::string &path, Tensor &out, std::string &error);

/// Writes version 1.0, '<f4', fortran_order False.
bool writeNpy(const std::string &path, const Tensor &tensor,
              std::string &error);

} // namespace resc

#endif
