// Parameters as the kernels want them, computed once when parameters are
// bound (not on every run): conv and dense weights transposed so output
// channels are innermost (conv weights in blocks of 16 of them), batch norms
// that follow a conv or dense folded into its weights and bias (in double), and
// the scale/shift pairs of the batch norms that could not be folded.
#ifndef RESC_FORMAT_WEIGHTPACKING_H
#define RESC_FORMAT_WEIGHTPACKING_H

#include "resc/Tensor.h"

#include <cstdlib>
#include <functional>
#include <new>
#include <optional>
#include <string>
#include <vector>

namespace resc {
namespace format {

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
    /// [O, I/g, KH, KW] (or a per-pixel dense layer's [O, I], as 1x1) ->
    /// Halide (o % 16, i, kx, ky, o / 16) (see
    /// packedConvWeightDims), times the BN scale of o.
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
    /// [O, I, 3, 3] -> Halide (o % 16, i, 4, 4, o / 16): G g G^T of each
    /// filter g, times the BN scale of o, for the Winograd convolution
    /// (WinogradConvKernel.cpp); blocked and padded as ConvWeight.
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

/// Conv weights (ConvWeight, WinogradWeight) are packed in blocks of this
/// many output channels, Halide dims (o % 16, i, kx, ky, o / 16): a block's
/// weights are one contiguous run, in the order a register tile reads
/// them, so a task streams its block's weights from memory sequentially
/// (with output channels innermost across the whole layer, a block read
/// 64-256 bytes out of every row of 1-8 KB, which the prefetchers did not
/// follow: resnet50 at batch 1, where every weight comes from DRAM once
/// per pass, spent 5-25% longer in its 3x3 layers on two threads).
constexpr int64_t kConvWeightBlock = 16;

/// The Halide extents of a packed conv weight with O output channels, I
/// input channels (per group) and a KW x KH window:
/// {16, I', KW, KH, ceil(O / 16)}. The output channels past O are zero.
/// I' is I plus one or two rows that no kernel reads: blocks whose size is
/// a multiple of 4 KB would put the same input channel of the 2-6 blocks of
/// a register tile into the same L1 set (64 input channels of a 1x1 conv:
/// the tile's vectors 4 KB apart); I' keeps them one line apart.
std::vector<int64_t> packedConvWeightDims(int64_t O, int64_t I, int64_t KW,
                                          int64_t KH);

/// Looks a parameter up by name; null when it is missing (an error the
/// caller reports before packing).
using ParamLookup = std::function<const resc::Tensor *(const std::string &)>;

/// Computes the packed buffer of `recipe`; false with a message on a
/// missing parameter or a shape that does not fit.
bool packParam(const PackRecipe &recipe, const ParamLookup &lookup,
               AlignedFloats &out, std::string &error);

} // namespace format
} // namespace resc

#endif
