// Reading and writing safetensors files of F32 tensors
// (https://github.com/huggingface/safetensors: an 8-byte little-endian header
// length, a JSON header of {name: {dtype, shape, data_offsets}} plus an
// optional "__metadata__" of strings, then the raw data).
#ifndef RESC_RUNTIME_SAFETENSORS_H
#define RESC_RUNTIME_SAFETENSORS_H

#include "resc/Tensor.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace resc {

/// Tensors by name. std::map keeps files written in a stable (sorted) order.
using TensorMap = std::map<std::string, Tensor>;

/// Reads every tensor of `path`. Non-F32 tensors are kept out of `out` but
/// their names and dtypes are remembered in `otherDtypes` (name -> dtype) so a
/// caller can say "key X has dtype F16, expected F32" only if X is needed.
/// Returns false with a message naming the file and the problem (bad header,
/// offsets out of range or overlapping, truncated data, ...); never reads out
/// of bounds.
bool readSafetensors(const std::string &path, TensorMap &out,
                     std::map<std::string, std::string> &otherDtypes,
                     std::string &error);

/// Same, from memory (`name` is used in messages).
bool readSafetensorsFromMemory(const uint8_t *data, size_t size,
                               const std::string &name, TensorMap &out,
                               std::map<std::string, std::string> &otherDtypes,
                               std::string &error);

/// Writes all tensors as F32, keys sorted, data 8-byte aligned.
bool writeSafetensors(const std::string &path, const TensorMap &tensors,
                      std::string &error);

/// The bytes writeSafetensors writes: the same bytes Python's
/// safetensors.torch.save_file writes for the same F32 tensors.
bool serializeSafetensors(const TensorMap &tensors, std::vector<uint8_t> &bytes,
                          std::string &error);

} // namespace resc

#endif
