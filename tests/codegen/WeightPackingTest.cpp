// The packed layouts the kernels read: conv weights transposed to output
// channels innermost, the output-channel rows padded by one cache line of
// zeros where a row would be a multiple of 512 bytes, batch norms folded in.
#include "compiler/codegen/WeightPacking.h"

#include <gtest/gtest.h>

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

/// Packs a conv weight of `out` x `in` x 3 x 3 and checks every element.
void checkConvPacking(int64_t out, int64_t in, int64_t expectedRow) {
  std::map<std::string, resc::Tensor> params;
  params["w"] = ramp({out, in, 3, 3}, 0.01f);
  PackRecipe recipe{PackRecipe::ConvWeight, "w", "", std::nullopt, out};
  AlignedFloats packed;
  std::string error;
  ASSERT_TRUE(packParam(
      recipe,
      [&](const std::string &name) -> const resc::Tensor * {
        auto it = params.find(name);
        return it == params.end() ? nullptr : &it->second;
      },
      packed, error))
      << error;
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

} // namespace
