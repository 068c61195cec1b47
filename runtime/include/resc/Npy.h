// NumPy .npy files (format versions 1.0-3.0) holding little-endian f32 in C
// order, the format users already move tensors around in.
#ifndef RESC_RUNTIME_NPY_H
#define RESC_RUNTIME_NPY_H

#include "resc/Tensor.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace resc {

/// Reads `path`. Rejects other dtypes ('<f8', '>f4', ...), Fortran order,
/// truncated data and malformed headers with a message naming the file and
/// the problem.
bool readNpy(const std::string &path, Tensor &out, std::string &error);

/// Same, from memory (`name` is used in messages).
bool readNpyFromMemory(const uint8_t *data, size_t size,
                       const std::string &name, Tensor &out,
                       std::string &error);

/// Writes version 1.0, '<f4', fortran_order False.
bool writeNpy(const std::string &path, const Tensor &tensor,
              std::string &error);

/// The bytes writeNpy writes: the same bytes numpy.save writes for a
/// C-contiguous float32 array (header padded to 64 bytes, with numpy's spare
/// room for growing the first axis). Falls back to version 2.0 only if the
/// header would not fit version 1.0's 16-bit length, as numpy does.
bool serializeNpy(const Tensor &tensor, std::vector<uint8_t> &bytes,
                  std::string &error);

} // namespace resc

#endif
