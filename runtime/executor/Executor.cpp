#include "runtime/executor/Executor.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>

namespace resc {
namespace exec {

Arena::~Arena() { std::free(data_); }

bool Arena::reserve(size_t floats) {
  if (floats <= size_ && data_)
    return true;
  std::free(data_);
  data_ = static_cast<float *>(
      std::aligned_alloc(64, (std::max<size_t>(floats, 1) * 4 + 63) / 64 * 64));
  size_ = data_ ? floats : 0;
  return data_ != nullptr;
}

bool Executor::checkBatch(const format::ModelPlan &section, int64_t batch,
                          std::string &error) {
  const int64_t largest = std::max<int64_t>(section.largestPerSample, 1);
  if (batch < 1)
    error = "batch must be at least 1, got " + std::to_string(batch);
  else if (batch > ((int64_t(1) << 31) - 1) / largest)
    error = "batch " + std::to_string(batch) + " is too large";
  else
    return true;
  return false;
}

bool Executor::bindSlots(const format::ModelPlan &section, int64_t batch,
                         const RunBuffers &buffers, Arena &arena,
                         std::vector<std::vector<float>> &unbatched,
                         std::vector<float *> &ptr, std::string &error) {
  const int64_t perSample = std::max<int64_t>(section.arenaPerSample, 1);
  if (!arena.reserve(size_t(batch * perSample))) {
    error = "cannot allocate the arena of " +
            std::to_string(batch * section.arenaPerSample * 4) + " bytes";
    return false;
  }
  unbatched.resize(section.slots.size());
  ptr.assign(section.slots.size(), nullptr);
  for (size_t i = 0; i < section.slots.size(); ++i) {
    const format::SlotRec &s = section.slots[i];
    switch (s.kind) {
    case format::SlotActivation:
      if (!s.batched) {
        unbatched[i].resize(size_t(s.perSample));
        ptr[i] = unbatched[i].data();
      } else if (s.offset >= 0) {
        ptr[i] = arena.data() + batch * s.offset;
      }
      break;
    case format::SlotParam:
      // Kernels never write their parameter operands.
      ptr[i] = const_cast<float *>((*buffers.packed)[size_t(s.index)]);
      break;
    case format::SlotInput:
      ptr[i] = const_cast<float *>(buffers.inputs[s.index]);
      break;
    case format::SlotOutput:
      ptr[i] = buffers.outputs[s.index];
      break;
    default: // a loop's result, bound by the loop
      break;
    }
  }
  return true;
}

bool Executor::call(const format::ModelPlan &section,
                    const format::StepRec &step, std::vector<float *> &ptr,
                    int64_t batch, KernelTable &kernels, std::string &error) {
  const format::KernelRec &k = section.kernels[size_t(step.kernel)];
  const size_t n = k.operands.size() + 1;
  bufs.assign(n, halide_buffer_t());
  dims.clear();
  std::vector<size_t> firstDim(n);
  for (size_t i = 0; i < n; ++i) {
    const bool isResult = i + 1 == n;
    const std::vector<int64_t> &extents =
        isResult ? k.result : k.operands[i].extents;
    const bool batched = isResult ? k.resultBatched : k.operands[i].batched;
    halide_buffer_t &b = bufs[i];
    b.host = reinterpret_cast<uint8_t *>(isResult ? ptr[step.result]
                                                  : ptr[step.operands[i]]);
    b.type = halide_type_t(halide_type_float, 32, 1);
    b.dimensions = int32_t(extents.size() + (batched ? 1 : 0));
    firstDim[i] = dims.size();
    int64_t stride = 1;
    for (int64_t e : extents) {
      dims.push_back(halide_dimension_t(0, int32_t(e), int32_t(stride)));
      stride *= e;
    }
    if (batched)
      dims.push_back(halide_dimension_t(0, int32_t(batch), int32_t(stride)));
  }
  for (size_t i = 0; i < n; ++i)
    bufs[i].dim = dims.data() + firstDim[i];

  auto begin = std::chrono::steady_clock::now();
  std::string message;
  const bool ok = kernels.call(section, step, bufs.data(), n, message);
  if (profiling_) {
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - begin)
            .count();
    auto [it, inserted] = rowOf.try_emplace(&step, rows.size());
    if (inserted)
      rows.push_back({step.layer, k.key, 0, 0, 0});
    ProfileRow &row = rows[it->second];
    row.calls += 1;
    row.seconds += seconds;
    row.flops += k.flopsPerSample * double(batch);
  }
  if (ok)
    return true;
  failed = &step;
  error =
      "kernel " + k.key +
      (step.layer.empty() ? std::string() : " of layer '" + step.layer + "'") +
      " failed: " + message;
  return false;
}

bool Executor::execute(const format::ModelPlan &section,
                       const std::vector<format::StepRec> &steps,
                       std::vector<float *> &ptr, int64_t batch,
                       KernelTable &kernels, std::string &error) {
  failed = nullptr;
  for (const format::StepRec &step : steps) {
    if (step.kind == format::StepCall) {
      if (!call(section, step, ptr, batch, kernels, error))
        return false;
      continue;
    }
    // A tied repeat: iteration i reads `cur` and writes the other of the
    // loop's two buffers; the first reads the loop's input. No iteration
    // copies.
    float *home[2] = {ptr[step.arg], ptr[step.yield]};
    float *cur = ptr[step.input];
    for (int64_t i = 0; i < step.count; ++i) {
      float *dst = home[(i + 1) % 2];
      ptr[step.arg] = cur;
      ptr[step.yield] = dst;
      if (!execute(section, step.body, ptr, batch, kernels, error))
        return false;
      cur = dst;
    }
    ptr[step.arg] = home[0];
    ptr[step.yield] = home[1];
    ptr[step.result] = cur;
  }
  return true;
}

void Executor::setProfiling(bool enabled) {
  profiling_ = enabled;
  rowOf.clear();
  rows.clear();
}

} // namespace exec
} // namespace resc
