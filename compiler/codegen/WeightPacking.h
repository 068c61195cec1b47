// Parameters as the kernels want them, computed once when parameters are
// bound (not on every run): conv and dense weights transposed so output
// channels are innermost, batch norms that follow a conv or dense folded
// into its weights and bias (in double), and the scale/shift pairs of the
// batch norms that could not be folded.
#ifndef RESC_COMPILER_CODEGEN_WEIGHTPACKING_H
#define RESC_COMPILER_CODEGEN_WEIGHTPACKING_H

#include "resc/Tensor.h"

#include <cstdlib>
#include <functional>
#include <new>
#include <optional>
#include <string>
#include <vector>

namespace res {
namespace codegen {

/// Allocates 64-byte aligned memory. Packed weights are read one 64-byte
/// vector at a time; at malloc's 16-byte alignment every such load straddles
/// two cache lines, which costs the convs about a quarter of their speed.
template <typename T> struct CacheLineAllocator {
  using value_type = T;
  CacheLineAllocator() = default;
  template <typename U> CacheLineAllocator(const CacheLineAllocator<U> &) {}
  T *allocate(size_t n) {
    void *p = std::aligned_alloc(64, (n * sizeof(T) + 63) / 64 * 64);
    if (!p)
      throw std::bad_alloc();
    return static_cast<T *>(p);
  }
  void deallocate(T *p, size_t) { std::free(p); }
  template <typename U> bool operator==(const CacheLineAllocator<U> &) const {
    return true;
  }
  template <typename U> bool operator!=(const CacheLineAllocator<U> &) const {
    return false;
  }
};

using AlignedFloats = std::vector<float, CacheLineAllocator<float>>;

/// The parameters of one inference batch norm, by parameter name.
struct BatchNormRef {
  std::string weight, bias, mean, var;
  double epsilon = 1e-5;
};

struct PackRecipe {
  enum Kind {
    /// [O, I/g, KH, KW] -> Halide (o, i, kx, ky), times the BN scale of o;
    /// o runs to packedConvChannels(O), the padding zero.
    ConvWeight,
    /// [O, I] -> Halide (o, i), times the BN scale of o.
    DenseWeight,
    /// [O]: the bias (or 0) through the folded BN: s * (b - mean) + beta.
    Bias,
    /// [C]: gamma / sqrt(var + eps) of an unfolded BN.
    BatchNormScale,
    /// [C]: beta - mean * scale of an unfolded BN.
    BatchNormShift,
    /// The parameter `weight` as given, C order: the training kernels take
    /// weights as run-time tensors (they change every step), so the only
    /// work at bind time is this copy.
    Raw,
    /// [O, I, 3, 3] -> Halide (o, i, 4, 4): G g G^T of each filter g, times
    /// the BN scale of o, for the Winograd convolution
    /// (WinogradConvKernel.cpp); o padded as for ConvWeight.
    WinogradWeight,
  };
  Kind kind = Bias;
  std::string weight; // ConvWeight, DenseWeight, WinogradWeight
  std::string bias;   // Bias; empty: none
  std::optional<BatchNormRef> batchNorm;
  int64_t channels = 0; // Bias, BatchNormScale/Shift: the vector's length

  /// Equal keys give equal buffers, so they are packed once.
  std::string key() const;
};

/// The output channels of a packed conv weight: `outChannels`, plus one
/// cache line of zeros where a row of output channels would be a multiple
/// of 512 bytes. With such a row, the rows of successive input channels
/// fall into a few L1 sets (512 channels: every other row in the same 64 of
/// the 4 KB period), and the 32-channel reduction chunks of ConvKernel.cpp
/// evict their own weights; one more line spreads the rows over all sets.
int64_t packedConvChannels(int64_t outChannels);

/// Looks a parameter up by name; null when it is missing (an error the
/// caller reports before packing).
using ParamLookup = std::function<const resc::Tensor *(const std::string &)>;

/// Computes the packed buffer of `recipe`; false with a message on a
/// missing parameter or a shape that does not fit.
bool packParam(const PackRecipe &recipe, const ParamLookup &lookup,
               AlignedFloats &out, std::string &error);

} // namespace codegen
} // namespace res

#endif
