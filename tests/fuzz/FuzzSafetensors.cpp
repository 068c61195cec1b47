//===- FuzzSafetensors.cpp - libFuzzer target: the safetensors reader -----===//
//
// Arbitrary bytes as a safetensors file. A file the reader accepts must
// survive a write and a second read unchanged (tensor by tensor, bit for
// bit), so the fuzzer checks the reader's consistency too, not just that it
// does not crash.
//
//===----------------------------------------------------------------------===//

#include "resc/Safetensors.h"

#include <cstdlib>
#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  resc::TensorMap tensors;
  std::map<std::string, std::string> others;
  std::string error;
  if (!resc::readSafetensorsFromMemory(data, size, "fuzz.safetensors", tensors,
                                       others, error)) {
    if (error.rfind("fuzz.safetensors: ", 0) != 0)
      std::abort(); // every message names the file
    return 0;
  }
  std::vector<uint8_t> bytes;
  if (!resc::serializeSafetensors(tensors, bytes, error))
    std::abort();
  resc::TensorMap again;
  if (!resc::readSafetensorsFromMemory(bytes.data(), bytes.size(), "again",
                                       again, others, error) ||
      again.size() != tensors.size())
    std::abort();
  for (auto &[name, tensor] : tensors) {
    const resc::Tensor &other = again.at(name);
    if (other.shape != tensor.shape || other.data.size() != tensor.data.size())
      std::abort();
    if (!tensor.data.empty() &&
        std::memcmp(other.data.data(), tensor.data.data(),
                    tensor.data.size() * sizeof(float)) != 0)
      std::abort();
  }
  return 0;
}
