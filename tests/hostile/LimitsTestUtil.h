// Checks .res text with the frontend and the diagnostic printer, in process.
#ifndef RESC_TESTS_HOSTILE_LIMITSTESTUTIL_H
#define RESC_TESTS_HOSTILE_LIMITSTESTUTIL_H

#include "frontend/Frontend.h"

#include <string>

namespace res::test {

struct Checked {
  bool ok = false;
  std::string diagnostics;
};

Checked check(const std::string &text, const std::string &name,
              uint64_t maxMemoryBytes = kDefaultMaxMemoryBytes,
              int64_t maxOps = kMaxOps);

/// The frontend's tensor memory estimate of a valid model (no limit).
TensorMemory memoryOf(const std::string &text);

} // namespace res::test

#endif
