//===- FuzzNpy.cpp - libFuzzer target: the .npy reader --------------------===//
//
// Arbitrary bytes as a .npy file; an accepted file must read back bit for
// bit after a write (see FuzzSafetensors.cpp).
//
//===----------------------------------------------------------------------===//

#include "resc/Npy.h"

#include <cstdlib>
#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  resc::Tensor tensor;
  std::string error;
  if (!resc::readNpyFromMemory(data, size, "fuzz.npy", tensor, error)) {
    if (error.rfind("fuzz.npy: ", 0) != 0)
      std::abort(); // every message names the file
    return 0;
  }
  std::vector<uint8_t> bytes;
  if (!resc::serializeNpy(tensor, bytes, error))
    std::abort();
  resc::Tensor again;
  if (!resc::readNpyFromMemory(bytes.data(), bytes.size(), "again", again,
                               error) ||
      again.shape != tensor.shape || again.data.size() != tensor.data.size())
    std::abort();
  if (!tensor.data.empty() &&
      std::memcmp(again.data.data(), tensor.data.data(),
                  tensor.data.size() * sizeof(float)) != 0)
    std::abort();
  return 0;
}
