// The packed layouts the kernels read: conv weights in blocks of 16 output
// channels (innermost), blocks padded so that none is a multiple of 4 KB,
// batch norms folded in; Winograd's transformed filters.
#include "format/WeightPacking.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

using namespace resc::format;

namespace {

resc::Tensor ramp(std::vector<int64_t> shape, float scale) {
  resc::Tensor t;
  t.shape = std::move(shape);
  t.data.resize(size_t(resc::checkedNumel(t.shape)));
  for (size_t i = 0; i < t.data.size(); ++i)
    t.data[i] = scale * float(i % 251) - 1.0f;
  return t;
}

/// packParam with the parameters looked up in `params`.
bool pack(const PackRecipe &recipe,
          const std::map<std::string, resc::Tensor> &params,
          AlignedFloats &packed, std::string &error) {
  return packParam(
      recipe,
      [&](const std::string &name) -> const resc::Tensor * {
        auto it = params.find(name);
        return it == params.end() ? nullptr : &it->second;
      },
      packed, error);
}

/// The block layout of packedConvWeightDims, spelled out: element
/// (o, i, tap) of a packed weight with `rows` rows per tap and `taps` taps.
size_t packedIndex(int64_t o, int64_t i, int64_t tap, int64_t rows,
                   int64_t taps) {
  return size_t(((o / 16 * taps + tap) * rows + i) * 16 + o % 16);
}

TEST(WeightPacking, ConvBlocksAreNeverAMultipleOf4KB) {
  using D = std::vector<int64_t>;
  EXPECT_EQ(packedConvWeightDims(16, 3, 3, 3), (D{16, 4, 3, 3, 1}));
  EXPECT_EQ(packedConvWeightDims(24, 8, 3, 3), (D{16, 9, 3, 3, 2}));
  EXPECT_EQ(packedConvWeightDims(256, 64, 1, 1), (D{16, 65, 1, 1, 16}));
  // 64 rows of 64 bytes would be 4 KB: one more row.
  EXPECT_EQ(packedConvWeightDims(256, 63, 1, 1), (D{16, 65, 1, 1, 16}));
  EXPECT_EQ(packedConvWeightDims(64, 3, 4, 4), (D{16, 5, 4, 4, 4}));
  EXPECT_EQ(packedConvWeightDims(512, 127, 4, 4), (D{16, 129, 4, 4, 32}));
}

/// Packs a conv weight of `out` x `in` x 3 x 3 and checks every element,
/// the padding included.
void checkConvPacking(int64_t out, int64_t in) {
  std::map<std::string, resc::Tensor> params;
  params["w"] = ramp({out, in, 3, 3}, 0.01f);
  PackRecipe recipe{PackRecipe::ConvWeight, "w", "", std::nullopt, out};
  AlignedFloats packed;
  std::string error;
  ASSERT_TRUE(pack(recipe, params, packed, error)) << error;
  const std::vector<int64_t> dims = packedConvWeightDims(out, in, 3, 3);
  const int64_t rows = dims[1], blocks = dims[4];
  ASSERT_EQ(int64_t(packed.size()), 16 * rows * 9 * blocks);
  const resc::Tensor &w = params["w"];
  for (int64_t o = 0; o < 16 * blocks; ++o)
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t tap = 0; tap < 9; ++tap) {
        const float got = packed[packedIndex(o, i, tap, rows, 9)];
        const float want =
            o < out && i < in ? w.data[size_t((o * in + i) * 9 + tap)] : 0.0f;
        ASSERT_EQ(got, want) << "o " << o << " i " << i << " tap " << tap;
      }
}

TEST(WeightPacking, ConvWeightsInBlocksOf16OutputChannels) {
  checkConvPacking(16, 3);
  checkConvPacking(24, 8); // a block half padding
  checkConvPacking(128, 4);
  checkConvPacking(8, 7); // fewer channels than a block
}

/// With U = G g G^T packed for each (o, i), A^T [U (.) B^T d B] A must be
/// the 2x2 correlation of a 4x4 patch d with the filter g (times the batch
/// norm's scale): the identity WinogradConvKernel.cpp relies on.
TEST(WeightPacking, WinogradFiltersReproduceTheCorrelation) {
  const int64_t out = 128, in = 3;
  std::map<std::string, resc::Tensor> params;
  params["w"] = ramp({out, in, 3, 3}, 0.013f);
  for (const char *name : {"g", "b", "m", "v"})
    params[name] = ramp({out}, 0.004f);
  for (float &v : params["v"].data)
    v += 2.0f; // a positive variance
  BatchNormRef bn{"g", "b", "m", "v", 1e-5};
  PackRecipe recipe{PackRecipe::WinogradWeight, "w", "", bn, out};
  AlignedFloats packed;
  std::string error;
  ASSERT_TRUE(pack(recipe, params, packed, error)) << error;
  const std::vector<int64_t> dims = packedConvWeightDims(out, in, 4, 4);
  const int64_t rows = dims[1];
  ASSERT_EQ(int64_t(packed.size()), 16 * rows * 16 * dims[4]);
  const double BT[4][4] = {
      {1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}};
  const double AT[2][4] = {{1, 1, 1, 0}, {0, 1, -1, -1}};
  double d[4][4]; // [y][x]
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 4; ++x)
      d[y][x] = std::sin(1.0 + 3 * y + x);
  double v[4][4] = {}; // B^T d B, [j (y)][i (x)]
  for (int j = 0; j < 4; ++j)
    for (int i = 0; i < 4; ++i)
      for (int y = 0; y < 4; ++y)
        for (int x = 0; x < 4; ++x)
          v[j][i] += BT[j][y] * BT[i][x] * d[y][x];
  const resc::Tensor &w = params["w"];
  for (int64_t o = 0; o < out; ++o)
    for (int64_t c = 0; c < in; ++c) {
      auto u = [&](int i, int j) {
        return double(packed[packedIndex(o, c, j * 4 + i, rows, 16)]);
      };
      const double scale =
          params["g"].data[o] / std::sqrt(params["v"].data[o] + 1e-5);
      for (int yo = 0; yo < 2; ++yo)
        for (int xo = 0; xo < 2; ++xo) {
          double got = 0, want = 0;
          for (int j = 0; j < 4; ++j)
            for (int i = 0; i < 4; ++i)
              got += AT[yo][j] * AT[xo][i] * u(i, j) * v[j][i];
          for (int ky = 0; ky < 3; ++ky)
            for (int kx = 0; kx < 3; ++kx)
              want += scale * w.data[size_t((o * in + c) * 9 + ky * 3 + kx)] *
                      d[yo + ky][xo + kx];
          ASSERT_NEAR(got, want, 1e-5 * (1 + std::abs(want)))
              << "o " << o << " i " << c << " output (" << xo << ", " << yo
              << ")";
        }
    }
}

} // namespace
