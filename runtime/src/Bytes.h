//===- Bytes.h - Little-endian loads and stores, whole-file I/O -*- C++ -*-===//
//
// Both file formats are little-endian whatever the host is, and file data
// need not be aligned for the host's types, so every access goes through
// memcpy plus a swap on big-endian hosts.
//
//===----------------------------------------------------------------------===//
#ifndef RESC_RUNTIME_BYTES_H
#define RESC_RUNTIME_BYTES_H

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace resc {
namespace detail {

constexpr bool hostIsBigEndian() {
#if defined(__BYTE_ORDER__) && defined(__ORDER_BIG_ENDIAN__) &&                \
    __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  return true;
#else
  return false;
#endif
}

inline uint64_t loadLE(const uint8_t *bytes, size_t width) {
  uint64_t value = 0;
  for (size_t i = 0; i < width; ++i)
    value |= static_cast<uint64_t>(bytes[i]) << (8 * i);
  return value;
}

inline void appendLE(std::vector<uint8_t> &out, uint64_t value, size_t width) {
  for (size_t i = 0; i < width; ++i)
    out.push_back(static_cast<uint8_t>(value >> (8 * i)));
}

/// Copies `count` little-endian f32 values from unaligned `src`.
inline void loadF32LE(float *dst, const uint8_t *src, size_t count) {
  if (!hostIsBigEndian()) {
    if (count)
      std::memcpy(dst, src, count * 4);
    return;
  }
  for (size_t i = 0; i < count; ++i) {
    uint32_t bits = static_cast<uint32_t>(loadLE(src + 4 * i, 4));
    std::memcpy(&dst[i], &bits, 4);
  }
}

/// Appends `count` f32 values as little-endian bytes.
inline void appendF32LE(std::vector<uint8_t> &out, const float *src,
                        size_t count) {
  size_t at = out.size();
  out.resize(at + count * 4);
  if (!hostIsBigEndian()) {
    if (count)
      std::memcpy(out.data() + at, src, count * 4);
    return;
  }
  for (size_t i = 0; i < count; ++i) {
    uint32_t bits;
    std::memcpy(&bits, &src[i], 4);
    for (size_t b = 0; b < 4; ++b)
      out[at + 4 * i + b] = static_cast<uint8_t>(bits >> (8 * b));
  }
}

/// Reads all of `path`; on failure `error` is "PATH: cannot ...".
bool readWholeFile(const std::string &path, std::vector<uint8_t> &bytes,
                   std::string &error);

/// Writes `bytes` to `path`, replacing it; on failure removes what was
/// partly written so no truncated file is left behind.
bool writeWholeFile(const std::string &path, const std::vector<uint8_t> &bytes,
                    std::string &error);

} // namespace detail
} // namespace resc

#endif
