// The device side of a run of a library compiled for a GPU target. Kernels
// with GPU schedules read and write device memory; if every call got fresh
// buffers, each kernel would copy its inputs to the device and its result
// back. Instead each host address of the plan (an arena offset, a packed
// parameter, a model input or output) keeps one halide_buffer_t for the
// whole run, so a result stays on the device for the kernels that read it,
// and data crosses only at the model's inputs (copied on first use), its
// outputs (copied back at the end) and the parameters (copied once, kept
// until the instance is destroyed).
//
// Keying by host address follows the arena's reuse: two tensors that share
// an address never live at the same time, so they can share a device
// allocation too (reallocated when the later one is larger).
#ifndef RESC_RUNTIME_DEVICEBUFFERS_H
#define RESC_RUNTIME_DEVICEBUFFERS_H

#include <HalideRuntime.h>

#include <map>
#include <vector>

namespace resc::aot {

class DeviceBuffers {
public:
  enum class Role { Activation, Parameter, Input };

  /// The buffer to pass to a kernel for `host` with `rank` dims. Inputs are
  /// marked as written on the host at their first use in a run, parameters
  /// at their first use ever.
  halide_buffer_t *get(void *userContext, float *host,
                       const halide_dimension_t *dims, int rank, Role role);
  /// Copies the device data of `host`, if any, back to host memory.
  int copyToHost(void *userContext, float *host);
  /// Ends a run: frees the device memory of everything but the parameters.
  void endRun(void *userContext);
  /// Frees everything (the instance is going away).
  void releaseAll(void *userContext);

private:
  struct Entry {
    halide_buffer_t buffer{};
    std::vector<halide_dimension_t> dims;
    size_t bytes = 0;
    Role role = Role::Activation;
    bool usedThisRun = false;
  };
  std::map<float *, Entry> entries;
};

/// Whether a library for Halide target string `target` runs on a GPU.
bool isGpuTarget(const char *target);

} // namespace resc::aot

#endif
