// Scales the convolution weights of a safetensors file for the AOT tests:
//   aot_scale_weights IN.safetensors OUT.safetensors FACTOR
// He-initialised weights keep each branch's gain near 1, so a pre-activation
// network whose batch norms hold their initial running statistics doubles
// its activations' variance in every block: ResNet-1001's 333 blocks
// overflow f32. Scaled weights keep the outputs finite, and comparable.
#include "resc/Safetensors.h"

#include <cstdio>
#include <cstdlib>
#include <map>

int main(int argc, char **argv) {
  if (argc != 4) {
    std::fprintf(stderr,
                 "usage: aot_scale_weights IN.safetensors OUT.safetensors "
                 "FACTOR\n");
    return 2;
  }
  resc::TensorMap tensors;
  std::map<std::string, std::string> otherDtypes;
  std::string error;
  if (!resc::readSafetensors(argv[1], tensors, otherDtypes, error)) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  const float factor = static_cast<float>(std::atof(argv[3]));
  for (auto &[name, tensor] : tensors)
    if (tensor.rank() == 4)
      for (float &v : tensor.data)
        v *= factor;
  if (!resc::writeSafetensors(argv[2], tensors, error)) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  return 0;
}
