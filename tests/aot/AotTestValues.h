/* The inputs of the AOT tests, shared by the C and C++ sides: a fixed,
 * irregular pattern in [-0.5, 0.5]. */
#ifndef RESC_TESTS_AOT_AOTTESTVALUES_H
#define RESC_TESTS_AOT_AOTTESTVALUES_H

#include <stdint.h>

static inline float aotTestValue(int64_t i) {
  return (float)((i * 37) % 101) / 101.0f - 0.5f;
}

#endif
