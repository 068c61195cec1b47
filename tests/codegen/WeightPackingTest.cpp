// The packed layouts the kernels read: conv weights transposed to output
// channels innermost, the output-channel rows padded by one cache line of
// zeros where a row would be a multiple of 512 bytes, batch norms folded in;
// Winograd's transformed filters.
#include "compiler/codegen/WeightPacking.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

using namespace res::codegen;

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

/// Packs a conv weight of `out` x `in` x 3 x 3 and checks every element.
void checkConvPacking(int64_t out, int64_t in, int64_t expectedRow) {
  std::map<std::string, resc::Tensor> params;
  params["w"] = ramp({out, in, 3, 3}, 0.01f);
  PackRecipe recipe{PackRecipe::ConvWeight, "w", "", std::nullopt, out};
  AlignedFloats packed;
  std::string error;
  ASSERT_TRUE(pack(recipe, params, packed, error)) << error;
  const int64_t row = packedConvChannels(out);
  EXPECT_EQ(row, expectedRow);
  ASSERT_EQ(int64_t(packed.size()), row * in * 9);
  const resc::Tensor &w = params["w"];
  // Packed with o innermost, then i, then the tap in the source's order;
  // rows of `row` floats, the last row - out of them zero.
  for (int64_t o = 0; o < row; ++o)
    for (int64_t i = 0; i < in; ++i)
      for (int64_t tap = 0; tap < 9; ++tap) {
        const float got = packed[size_t((tap * in + i) * row + o)];
        const float want = o < out ? w.data[size_t((o * in + i) * 9 + tap)] : 0;
        ASSERT_EQ(got, want) << "o " << o << " i " << i << " tap " << tap;
      }
}

TEST(WeightPacking, ConvRowsPaddedOnlyAtMultiplesOf512Bytes) {
  checkConvPacking(16, 3, 16);
  checkConvPacking(96, 8, 96);
  checkConvPacking(128, 4, 144);
  checkConvPacking(512, 2, 528);
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
  const int64_t row = packedConvChannels(out);
  ASSERT_EQ(int64_t(packed.size()), row * in * 16);
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
  for (int64_t o = 0; o < row; ++o)
    for (int64_t c = 0; c < in; ++c) {
      auto u = [&](int i, int j) {
        return double(packed[size_t(((j * 4 + i) * in + c) * row + o)]);
      };
      const double scale =
          o < out ? params["g"].data[o] / std::sqrt(params["v"].data[o] + 1e-5)
                  : 0.0;
      for (int yo = 0; yo < 2; ++yo)
        for (int xo = 0; xo < 2; ++xo) {
          double got = 0, want = 0;
          for (int j = 0; j < 4; ++j)
            for (int i = 0; i < 4; ++i)
              got += AT[yo][j] * AT[xo][i] * u(i, j) * v[j][i];
          for (int ky = 0; ky < 3 && o < out; ++ky)
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
