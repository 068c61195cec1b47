//===- Random.cpp - The seeded generator ----------------------------------===//
//
// Specified exactly in docs/weights.md; any change here changes every seeded
// model, so the tests pin known values.
//
//===----------------------------------------------------------------------===//

#include "resc/Random.h"

#include <cmath>

namespace resc {

uint64_t fnv1a64(const std::string &text) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

Random::Random(uint64_t seed, const std::string &name)
    : state(seed ^ fnv1a64(name)) {}

uint64_t Random::next() {
  // SplitMix64 (Steele, Lea and Flood 2014; constants from Vigna's version).
  state += 0x9e3779b97f4a7c15ULL;
  uint64_t z = state;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

double Random::uniform() {
  // 53 bits fill a double's mantissa exactly, so every value is a multiple of
  // 2^-53 in [0, 1) and the conversion does not round.
  return static_cast<double>(next() >> 11) * 0x1.0p-53;
}

double Random::normal() {
  // Box-Muller with 1 - u1 in (0, 1], so the logarithm is always finite.
  double u1 = uniform();
  double u2 = uniform();
  const double twoPi = 6.283185307179586476925286766559;
  return std::sqrt(-2.0 * std::log(1.0 - u1)) * std::cos(twoPi * u2);
}

} // namespace resc
