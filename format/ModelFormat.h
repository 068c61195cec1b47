// The byte format of the plan that `resc compile` embeds in a library and
// the runtime reads back (docs/aot.md). Both sides include this header, so
// the writer and the reader cannot drift apart; the version in the magic
// changes whenever the layout does.
//
// Layout (little-endian; strings are u32 length + bytes; dims are u32 count
// + i64 each):
//   "RESCPLN3"
//   u32 kernels  { string key, f64 flopsPerSample,
//                  u32 operands { u8 batched, dims extents },
//                  u8 resultBatched, dims result }
//                (extents are Halide's, innermost first and without the
//                batch, which batched buffers add as their outermost dim:
//                the compiler resolves layouts so the runtime need not)
//   the inference section, then u8 hasTraining and, when 1, the training
//   section followed by
//     backward steps (the part of the training plan that reads the output
//                 gradients; the section's steps are the training forward)
//     u32 roles  { u8 role }  (one per training output, RoleKind)
//     u32 trainParams { string name, dims shape, u8 trainable,
//                       i64 embeddedOffset (raw C-order floats; -1: none) }
// A section:
//   i64 arenaPerSample
//   u32 slots    { u32 kind, i32 index, i64 offset, u8 batched, dims }
//   steps        (u32 count, then each: u8 kind;
//                 call: i32 kernel, u32 n, i32 operands[n], i32 result,
//                       string layer;
//                 loop: i64 count, i32 input, arg, yield, result, steps body)
//   u32 recipes  { u32 kind, string weight, string bias, i64 channels,
//                  u8 hasBatchNorm [string w, b, mean, var, f64 epsilon],
//                  i64 embeddedOffset (floats; -1: none), i64 floats }
//   u32 params   { string name, dims shape }   (what the recipes read)
//   u32 inputs   { i32 slot, string name, dims shape (batch as -1) }
//   u32 outputs  { i32 slot, string name, dims shape (batch as -1) }
#ifndef RESC_FORMAT_MODELFORMAT_H
#define RESC_FORMAT_MODELFORMAT_H

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace resc {
namespace format {

constexpr char kPlanMagic[] = "RESCPLN3";
constexpr size_t kPlanMagicSize = 8;

// Values of the enums in the plan, fixed here rather than taken from the
// compiler's enums so that reordering those cannot change the format.
enum SlotKind : uint32_t {
  SlotActivation = 0,
  SlotParam = 1,
  SlotInput = 2,
  SlotOutput = 3,
  SlotLoopResult = 4
};
enum StepKind : uint8_t { StepCall = 0, StepLoop = 1 };
enum RecipeKind : uint32_t {
  RecipeConvWeight = 0,
  RecipeDenseWeight = 1,
  RecipeBias = 2,
  RecipeBatchNormScale = 3,
  RecipeBatchNormShift = 4,
  RecipeRaw = 5,
  RecipeWinogradWeight = 6
};
/// What a training output is (the `res.role` of the training function).
enum RoleKind : uint8_t {
  RoleOutput = 0,
  RoleInputGrad = 1,
  RoleParamGrad = 2,
  RoleRunningStat = 3
};

class Writer {
public:
  std::vector<uint8_t> bytes;

  void raw(const void *p, size_t n) {
    const auto *b = static_cast<const uint8_t *>(p);
    bytes.insert(bytes.end(), b, b + n);
  }
  // x86-64 and AArch64 Linux are little-endian; the format is too.
  void u8(uint8_t v) { raw(&v, 1); }
  void u32(uint32_t v) { raw(&v, 4); }
  void i32(int32_t v) { raw(&v, 4); }
  void i64(int64_t v) { raw(&v, 8); }
  void f64(double v) { raw(&v, 8); }
  void str(const std::string &s) {
    u32(uint32_t(s.size()));
    raw(s.data(), s.size());
  }
  void dims(const std::vector<int64_t> &d) {
    u32(uint32_t(d.size()));
    for (int64_t v : d)
      i64(v);
  }
};

/// Reads with bounds checks: a truncated or corrupt plan sets `ok` to false
/// and yields zeros, and the caller reports one error at the end.
class Reader {
public:
  Reader(const uint8_t *data, size_t size) : data(data), size(size) {}
  bool ok = true;

  bool raw(void *out, size_t n) {
    if (!ok || n > size - pos) {
      ok = false;
      std::memset(out, 0, n);
      return false;
    }
    std::memcpy(out, data + pos, n);
    pos += n;
    return true;
  }
  uint8_t u8() {
    uint8_t v;
    raw(&v, 1);
    return v;
  }
  uint32_t u32() {
    uint32_t v;
    raw(&v, 4);
    return v;
  }
  int32_t i32() {
    int32_t v;
    raw(&v, 4);
    return v;
  }
  int64_t i64() {
    int64_t v;
    raw(&v, 8);
    return v;
  }
  double f64() {
    double v;
    raw(&v, 8);
    return v;
  }
  std::string str() {
    uint32_t n = u32();
    if (!ok || n > size - pos) {
      ok = false;
      return "";
    }
    std::string s(reinterpret_cast<const char *>(data + pos), n);
    pos += n;
    return s;
  }
  std::vector<int64_t> dims() {
    uint32_t n = u32();
    if (!ok || n > 64) {
      ok = false;
      return {};
    }
    std::vector<int64_t> d(n);
    for (auto &v : d)
      v = i64();
    return d;
  }
  /// A count of records, each at least `minBytes` long: larger counts than
  /// the remaining bytes allow are corrupt.
  uint32_t count(size_t minBytes = 1) {
    uint32_t n = u32();
    if (ok && size_t(n) * minBytes > size - pos)
      ok = false;
    return ok ? n : 0;
  }
  bool atEnd() const { return pos == size; }

private:
  const uint8_t *data;
  size_t size;
  size_t pos = 0;
};

} // namespace format
} // namespace resc

#endif
