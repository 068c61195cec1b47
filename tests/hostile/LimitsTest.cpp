//===- LimitsTest.cpp - The frontend's documented resource limits ---------===//
//
// Each limit of docs/security.md is hit on purpose and must give its error,
// never a stack overflow, a hang or a huge allocation: file size, expression
// length, and the memory the model's tensors would need.
// (Nesting depth and repeat counts are covered by tests/bad, the operation
// count by MillionLinesTest.cpp, the embedder's own operation limit here.)
//
//===----------------------------------------------------------------------===//

#include "LimitsTestUtil.h"

#include <gtest/gtest.h>

using namespace res::test;

TEST(Limits, FileOverSixtyFourMebibytesIsRefused) {
  std::string text = "model m {\n  input x: f32[N, 3, 8, 8]\n  output y\n}\n";
  text.resize(res::kMaxSourceBytes + 1, '\n');
  Checked c = check(text, "big.res");
  EXPECT_FALSE(c.ok);
  EXPECT_NE(c.diagnostics.find("big.res:1:1: error: the file is 67108865 "
                               "bytes; the limit is 67108864 bytes (64 MiB)"),
            std::string::npos)
      << c.diagnostics.substr(0, 500);
}

TEST(Limits, FileOfExactlySixtyFourMebibytesIsChecked) {
  std::string text = "model m {\n  input x: f32[N, 3, 8, 8]\n  output y\n}\n";
  text.resize(res::kMaxSourceBytes, '\n');
  Checked c = check(text, "limit.res");
  EXPECT_TRUE(c.ok) << c.diagnostics.substr(0, 500);
}

TEST(Limits, ExpressionOverAThousandTermsIsRefused) {
  std::string sum = "1";
  for (int i = 0; i < 1001; ++i)
    sum += " + 1";
  Checked c = check("model m {\n  input x: f32[N, 3, 8, 8]\n  conv(" + sum +
                        ", 3)\n  output y\n}\n",
                    "terms.res");
  EXPECT_FALSE(c.ok);
  EXPECT_NE(c.diagnostics.find("error: expression longer than 1000 terms"),
            std::string::npos)
      << c.diagnostics.substr(0, 500);
}

TEST(Limits, OperationLimitIsTheOneTheEmbedderSets) {
  // Two or three ops per repetition (the block's activations, maybe its
  // skip add), 60 repetitions: over a limit of 100 and under 200.
  std::string text = "block b {\n  relu\n  sigmoid\n}\nmodel m {\n"
                     "  input x: f32[N, 1, 1, 1]\n  repeat 60 b\n"
                     "  output y\n}\n";
  Checked over = check(text, "ops.res", res::kDefaultMaxMemoryBytes, 100);
  EXPECT_FALSE(over.ok);
  EXPECT_NE(over.diagnostics.find(
                "error: the model has more than 100 operations, the limit"),
            std::string::npos)
      << over.diagnostics.substr(0, 500);
  EXPECT_TRUE(check(text, "ops.res", res::kDefaultMaxMemoryBytes, 200).ok);
}

TEST(Limits, TensorsOverTheMemoryLimitAreRefusedWithTheNumber) {
  // [N, 3, 8, 8] f32 is 768 bytes; relu makes one more such tensor.
  const std::string text =
      "model m {\n  input x: f32[N, 3, 8, 8]\n  relu\n  output y\n}\n";
  ASSERT_TRUE(check(text, "m.res").ok);
  res::TensorMemory memory = memoryOf(text);
  EXPECT_EQ(memory.weights, 0u);
  EXPECT_GE(memory.activations, 768u);
  Checked c = check(text, "m.res", /*maxMemoryBytes=*/100);
  EXPECT_FALSE(c.ok);
  EXPECT_NE(c.diagnostics.find(
                "m.res:1:1: error: the model's tensors need " +
                std::to_string(memory.total()) +
                " bytes at batch 1 (0 of "
                "weights, " +
                std::to_string(memory.activations) +
                " of activations), more than the memory limit of 100 bytes"),
            std::string::npos)
      << c.diagnostics;
  EXPECT_TRUE(check(text, "m.res", memory.total()).ok);
  EXPECT_FALSE(check(text, "m.res", memory.total() - 1).ok);
}

TEST(Limits, WeightsCountTowardsTheMemoryLimit) {
  // 64 x 3 x 3 x 3 conv weights are 6912 bytes.
  const std::string text = "model m {\n  input x: f32[N, 3, 8, 8]\n"
                           "  conv(64, 3, bias=false)\n  output y\n}\n";
  res::TensorMemory memory = memoryOf(text);
  EXPECT_EQ(memory.weights, 6912u);
}

TEST(Limits, HugeModelIsRefusedAtTheDefaultLimit) {
  // 1024 x 1024 x 1024 x 16 f32 values: 64 GiB for the input alone.
  Checked c = check("model m {\n  input x: f32[N, 16, 1024, 1048576]\n"
                    "  relu\n  output y\n}\n",
                    "huge.res", res::kDefaultMaxMemoryBytes);
  EXPECT_FALSE(c.ok);
  EXPECT_NE(c.diagnostics.find("more than the memory limit of 17179869184 "
                               "bytes"),
            std::string::npos)
      << c.diagnostics;
}

TEST(Limits, MemoryEstimateSaturatesInsteadOfOverflowing) {
  Checked c = check("model m {\n  input x: f32[N, 4294967296, 4294967296, "
                    "4294967296]\n  relu\n  output y\n}\n",
                    "overflow.res", res::kDefaultMaxMemoryBytes);
  EXPECT_FALSE(c.ok);
  EXPECT_NE(c.diagnostics.find("error: "), std::string::npos);
  // Either the shape itself is refused or the estimate saturates; it must
  // never wrap around to a small number that passes.
  EXPECT_EQ(c.diagnostics.find("need 0 bytes"), std::string::npos)
      << c.diagnostics;
}

// Found by feeding crafted models to FuzzResFrontend (UBSan): products and
// sums of dims each within 2^31 overflowed int64 (undefined behaviour that
// UBSan reports in the sanitizer build) before being refused.
TEST(Limits, FlattenOfHugeDimsIsRefusedWithoutOverflow) {
  Checked c = check("model m {\n  input x: f32[N, 2147483648, 2147483648, "
                    "2147483648]\n  flatten\n  output y\n}\n",
                    "flatten.res", /*maxMemoryBytes=*/0);
  EXPECT_FALSE(c.ok);
  EXPECT_NE(c.diagnostics.find("flatten.res:3:3: error: flatten of [N, "
                               "2147483648, 2147483648, 2147483648] would "
                               "give more than 2^31 features"),
            std::string::npos)
      << c.diagnostics;
}

TEST(Limits, RepeatedConcatenationIsRefusedWithoutOverflow) {
  std::string text = "model m {\n  input x: f32[N, 1073741824, 1, 1]\n";
  for (int i = 0; i < 40; ++i)
    text += "  save s" + std::to_string(i) + "\n  concat s" +
            std::to_string(i) + "\n";
  Checked c = check(text + "  output y\n}\n", "concat.res",
                    /*maxMemoryBytes=*/0);
  EXPECT_FALSE(c.ok);
  EXPECT_NE(c.diagnostics.find("concat.res:6:3: error: concatenating 's1' "
                               "would give 4294967296 channels, more than "
                               "2^31"),
            std::string::npos)
      << c.diagnostics;
}

TEST(Limits, ParameterOverTwoToThe31ElementsIsRefused) {
  Checked c = check("model m {\n  input x: f32[N, 4]\n  dense(1073741824)\n"
                    "  output y\n}\n",
                    "dense.res", /*maxMemoryBytes=*/0);
  EXPECT_FALSE(c.ok);
  EXPECT_NE(c.diagnostics.find("dense.res:3:3: error: parameter "),
            std::string::npos)
      << c.diagnostics;
  EXPECT_NE(c.diagnostics.find("would be too large (more than 2^31 "
                               "elements)"),
            std::string::npos)
      << c.diagnostics;
}
