#include "DeviceBuffers.h"

#include <cstring>
#include <string>

namespace resc::aot {

bool isGpuTarget(const char *target) {
  if (!target)
    return false;
  std::string t = std::string("-") + target + "-";
  for (const char *api : {"-cuda-", "-opencl-", "-metal-", "-d3d12compute-",
                          "-vulkan-", "-openglcompute-"})
    if (t.find(api) != std::string::npos)
      return true;
  return false;
}

halide_buffer_t *DeviceBuffers::get(void *userContext, float *host,
                                    const halide_dimension_t *dims, int rank,
                                    Role role) {
  size_t elements = 1;
  for (int i = 0; i < rank; ++i)
    elements *= size_t(dims[i].extent);
  const size_t bytes = elements * sizeof(float);
  auto [it, inserted] = entries.try_emplace(host);
  Entry &e = it->second;
  if (!inserted && bytes > e.bytes && e.buffer.device) {
    // A larger tensor at an address a smaller one used: a new allocation.
    halide_device_free(userContext, &e.buffer);
  }
  const bool firstUse = inserted || !e.usedThisRun;
  e.dims.assign(dims, dims + rank);
  e.buffer.host = reinterpret_cast<uint8_t *>(host);
  e.buffer.type = halide_type_t(halide_type_float, 32, 1);
  e.buffer.dimensions = rank;
  e.buffer.dim = e.dims.data();
  if (bytes > e.bytes || !e.buffer.device)
    e.bytes = bytes;
  e.role = role;
  if ((role == Role::Input && firstUse) ||
      (role == Role::Parameter && inserted))
    e.buffer.set_host_dirty(true);
  e.usedThisRun = true;
  return &e.buffer;
}

int DeviceBuffers::copyToHost(void *userContext, float *host) {
  auto it = entries.find(host);
  if (it == entries.end() || !it->second.buffer.device)
    return 0;
  return halide_copy_to_host(userContext, &it->second.buffer);
}

void DeviceBuffers::endRun(void *userContext) {
  for (auto it = entries.begin(); it != entries.end();) {
    if (it->second.role == Role::Parameter) {
      it->second.usedThisRun = false;
      ++it;
      continue;
    }
    if (it->second.buffer.device)
      halide_device_free(userContext, &it->second.buffer);
    it = entries.erase(it);
  }
}

void DeviceBuffers::releaseAll(void *userContext) {
  for (auto &[host, e] : entries)
    if (e.buffer.device)
      halide_device_free(userContext, &e.buffer);
  entries.clear();
}

} // namespace resc::aot
