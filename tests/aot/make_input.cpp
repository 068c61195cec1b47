// Writes a deterministic f32 input as .npy for the AOT tests:
//   aot_make_input OUT.npy D0 D1 ...
// Values follow aotTestValue (AotTestValues.h), which the C test uses too.
#include "AotTestValues.h"

#include "resc/Npy.h"

#include <cstdio>
#include <cstdlib>

int main(int argc, char **argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: aot_make_input OUT.npy D0 D1 ...\n");
    return 2;
  }
  std::vector<int64_t> shape;
  for (int i = 2; i < argc; ++i)
    shape.push_back(std::atoll(argv[i]));
  resc::Tensor t(shape);
  for (int64_t i = 0; i < t.numel(); ++i)
    t.data[i] = aotTestValue(i);
  std::string error;
  if (!resc::writeNpy(argv[1], t, error)) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  return 0;
}
