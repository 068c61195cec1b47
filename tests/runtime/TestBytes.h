//===- TestBytes.h - Building file images by hand in tests ------*- C++ -*-===//
//
// The tests spell out file bytes themselves instead of using our writers, so
// a bug shared by reader and writer cannot hide.
//
//===----------------------------------------------------------------------===//
#ifndef RESC_TESTS_RUNTIME_TESTBYTES_H
#define RESC_TESTS_RUNTIME_TESTBYTES_H

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

namespace resc {
namespace test {

using Bytes = std::vector<uint8_t>;

inline Bytes bytesOf(const std::string &text) {
  return Bytes(text.begin(), text.end());
}

inline Bytes operator+(Bytes a, const Bytes &b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

inline Bytes le(uint64_t value, size_t width) {
  Bytes out;
  for (size_t i = 0; i < width; ++i)
    out.push_back(static_cast<uint8_t>(value >> (8 * i)));
  return out;
}

inline Bytes f32(std::initializer_list<float> values) {
  Bytes out;
  for (float value : values) {
    uint32_t bits;
    std::memcpy(&bits, &value, 4);
    Bytes word = le(bits, 4);
    out.insert(out.end(), word.begin(), word.end());
  }
  return out;
}

inline Bytes zeros(size_t count) { return Bytes(count, 0); }

/// An 8-byte little-endian length, the header as given, then the data.
inline Bytes safetensors(const std::string &header, const Bytes &data) {
  return le(header.size(), 8) + bytesOf(header) + data;
}

/// A .npy image of version `major`.0 with `header` as given (no padding
/// added), then the data.
inline Bytes npy(unsigned major, const std::string &header, const Bytes &data) {
  Bytes out = bytesOf("\x93NUMPY");
  out.push_back(static_cast<uint8_t>(major));
  out.push_back(0);
  return out + le(header.size(), major == 1 ? 2 : 4) + bytesOf(header) + data;
}

inline uint32_t bitsOf(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  return bits;
}

} // namespace test
} // namespace resc

#endif
