// Whether the GPU tests can run here; they skip with the reason otherwise.
#ifndef RESC_TESTS_AOT_CUDAAVAILABLE_H
#define RESC_TESTS_AOT_CUDAAVAILABLE_H

#include <dlfcn.h>

#include <string>

namespace resc::testing {

/// Why CUDA cannot run here, or "" when a device is present. Asks the
/// driver directly (as Halide's runtime does, through dlopen), so the test
/// needs no CUDA at build time.
inline std::string cudaUnavailable() {
  void *lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!lib)
    return "no CUDA driver (libcuda.so.1) on this machine";
  using InitFn = int (*)(unsigned);
  using CountFn = int (*)(int *);
  auto init = reinterpret_cast<InitFn>(dlsym(lib, "cuInit"));
  auto count = reinterpret_cast<CountFn>(dlsym(lib, "cuDeviceGetCount"));
  int devices = 0;
  if (!init || !count || init(0) != 0 || count(&devices) != 0 || devices < 1)
    return "the CUDA driver reports no usable device";
  return "";
}

} // namespace resc::testing

#endif
