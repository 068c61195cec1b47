//===- TensorTest.cpp - Tensor helpers ------------------------------------===//

#include "resc/Tensor.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

namespace resc {
namespace {

TEST(Tensor, ShapeToString) {
  EXPECT_EQ(shapeToString({}), "[]");
  EXPECT_EQ(shapeToString({7}), "[7]");
  EXPECT_EQ(shapeToString({2, 3, 4}), "[2, 3, 4]");
  EXPECT_EQ(shapeToString({-1, 0}), "[-1, 0]");
}

TEST(Tensor, CheckedNumel) {
  const int64_t max = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(checkedNumel({}), 1);
  EXPECT_EQ(checkedNumel({2, 3, 4}), 24);
  EXPECT_EQ(checkedNumel({5, 0, 3}), 0);
  EXPECT_EQ(checkedNumel({-1}), -1);
  EXPECT_EQ(checkedNumel({0, -1}), -1);
  EXPECT_EQ(checkedNumel({max}), max);
  EXPECT_EQ(checkedNumel({max, 2}), -1);
  EXPECT_EQ(checkedNumel({int64_t(1) << 32, int64_t(1) << 31}), -1);
  EXPECT_EQ(checkedNumel({int64_t(1) << 31, int64_t(1) << 31}), int64_t(1)
                                                                    << 62);
  // The product is 0 even though a prefix of it overflows.
  EXPECT_EQ(checkedNumel({max, max, 0}), 0);
}

TEST(Tensor, Constructor) {
  Tensor t({2, 3}, 1.5f);
  EXPECT_EQ(t.rank(), 2);
  EXPECT_EQ(t.numel(), 6);
  for (float v : t.data)
    EXPECT_EQ(v, 1.5f);
  EXPECT_EQ(Tensor(std::vector<int64_t>{}).numel(), 1);
  EXPECT_EQ(Tensor({4, 0}).numel(), 0);
  // An invalid shape gives no data rather than a failed allocation.
  EXPECT_EQ(Tensor({-3}).numel(), 0);
  EXPECT_EQ(Tensor({std::numeric_limits<int64_t>::max(), 4}).numel(), 0);
}

} // namespace
} // namespace resc
