// The deterministic generator behind seeded weights and inputs. It is
// specified exactly (docs/weights.md) so any tool can reproduce resc's
// seeded tensors: each tensor gets its own stream, derived from the seed and
// the tensor's name, so values do not depend on declaration order.
#ifndef RESC_RUNTIME_RANDOM_H
#define RESC_RUNTIME_RANDOM_H

#include <cstdint>
#include <string>

namespace resc {

/// SplitMix64, seeded with seed ^ fnv1a64(name).
class Random {
public:
  Random(uint64_t seed, const std::string &name);
  uint64_t next();
  /// Uniform in [0, 1) from the top 53 bits.
  double uniform();
  /// Standard normal by Box-Muller (one value per two uniforms; no caching).
  double normal();

private:
  uint64_t state;
};

uint64_t fnv1a64(const std::string &text);

} // namespace resc

#endif
