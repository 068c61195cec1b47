//===- RandomTest.cpp - The seeded generator ------------------------------===//
//
// The expected values were computed independently in Python from the
// specification in docs/weights.md; they pin the generator so seeded models
// never change silently.
//
//===----------------------------------------------------------------------===//

#include "resc/Random.h"

#include <gtest/gtest.h>

#include <cmath>

namespace resc {
namespace {

TEST(Random, Fnv1a64KnownValues) {
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(fnv1a64("foobar"), 0x85944171f73967e8ULL);
}

// With seed = fnv1a64("") the state starts at 0, whose SplitMix64 outputs are
// the published reference sequence.
TEST(Random, SplitMix64ReferenceSequence) {
  Random random(0xcbf29ce484222325ULL, "");
  EXPECT_EQ(random.next(), 0xe220a8397b1dcdafULL);
  EXPECT_EQ(random.next(), 0x6e789e6aa1b965f4ULL);
  EXPECT_EQ(random.next(), 0x06c45d188009454fULL);
  EXPECT_EQ(random.next(), 0xf88bb8a8724c81ecULL);
}

TEST(Random, SeedAndNamePinned) {
  Random random(42, "conv1.weight");
  EXPECT_EQ(random.next(), 0x0c399cb107c14f6dULL);
  EXPECT_EQ(random.next(), 0x2acffc510315acc6ULL);
  EXPECT_EQ(random.next(), 0xdb082f0c9ab76cbaULL);
}

TEST(Random, UniformPinned) {
  Random random(42, "conv1.weight");
  EXPECT_EQ(random.uniform(), 0.047754090519224524);
  EXPECT_EQ(random.uniform(), 0.16723610856850846);
  EXPECT_EQ(random.uniform(), 0.8555936246654859);
}

TEST(Random, UniformIsTop53BitsScaled) {
  Random a(7, "x"), b(7, "x");
  for (int i = 0; i < 1000; ++i) {
    uint64_t bits = a.next() >> 11;
    double u = b.uniform();
    EXPECT_EQ(u, std::ldexp(static_cast<double>(bits), -53));
    EXPECT_GE(u, 0.0);
    EXPECT_LT(u, 1.0);
  }
}

TEST(Random, NormalPinned) {
  // Python: sqrt(-2 * log(1 - u1)) * cos(2 * pi * u2) with libm's log/cos,
  // so allow a few ulps for another libm.
  Random random(42, "conv1.weight");
  EXPECT_NEAR(random.normal(), 0.1554457343438784, 1e-15);
  EXPECT_NEAR(random.normal(), -0.19015484627274884, 1e-15);
  EXPECT_NEAR(random.normal(), 1.2065090411187889, 1e-15);
  Random other(0, "fc.bias");
  EXPECT_NEAR(other.normal(), -1.1313247721744761, 1e-15);
  EXPECT_NEAR(other.normal(), -0.21620416133408643, 1e-15);
}

TEST(Random, NormalConsumesTwoUniforms) {
  Random a(3, "w"), b(3, "w");
  a.normal();
  b.uniform();
  b.uniform();
  EXPECT_EQ(a.next(), b.next());
}

TEST(Random, NormalHasUnitMoments) {
  Random random(1, "stats");
  const int count = 200000;
  double sum = 0, sumSquares = 0;
  for (int i = 0; i < count; ++i) {
    double x = random.normal();
    ASSERT_TRUE(std::isfinite(x));
    sum += x;
    sumSquares += x * x;
  }
  double mean = sum / count;
  double variance = sumSquares / count - mean * mean;
  // Five standard errors: 5/sqrt(n) for the mean, 5*sqrt(2/n) for the
  // variance.
  EXPECT_NEAR(mean, 0.0, 0.012);
  EXPECT_NEAR(variance, 1.0, 0.016);
}

TEST(Random, StreamsDependOnSeedAndName) {
  EXPECT_EQ(Random(5, "a").next(), Random(5, "a").next());
  EXPECT_NE(Random(5, "a").next(), Random(6, "a").next());
  EXPECT_NE(Random(5, "a").next(), Random(5, "b").next());
  EXPECT_NE(Random(5, "layer1.0.conv1.weight").next(),
            Random(5, "layer1.0.conv2.weight").next());
}

} // namespace
} // namespace resc
