//===- SafetensorsTest.cpp - Reading and writing safetensors --------------===//

#include "TestBytes.h"

#include "resc/Safetensors.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <limits>

namespace resc {
namespace {

using namespace test;

using Dtypes = std::map<std::string, std::string>;

bool readBytes(const Bytes &file, TensorMap &out, Dtypes &others,
               std::string &error) {
  return readSafetensorsFromMemory(file.data(), file.size(), "mem", out, others,
                                   error);
}

/// Pads a header with spaces to a multiple of 8 as the reference writer does.
std::string padded(std::string header) {
  header.append((8 - header.size() % 8) % 8, ' ');
  return header;
}

// The reference implementation's own serialisation test: one tensor whose
// header is exactly 64 bytes, so no padding.
TEST(Safetensors, MatchesReferenceBytesUnpadded) {
  std::string header = "{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],"
                       "\"data_offsets\":[0,24]}}";
  ASSERT_EQ(header.size(), 64u);
  Bytes expected = safetensors(header, f32({0, 1, 2, 3, 4, 5}));

  TensorMap tensors;
  tensors["attn.0"].shape = {1, 2, 3};
  tensors["attn.0"].data = {0, 1, 2, 3, 4, 5};
  Bytes written;
  std::string error;
  ASSERT_TRUE(serializeSafetensors(tensors, written, error)) << error;
  EXPECT_EQ(written, expected);

  TensorMap out;
  Dtypes others;
  ASSERT_TRUE(readBytes(expected, out, others, error)) << error;
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out["attn.0"].shape, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(out["attn.0"].data, (std::vector<float>{0, 1, 2, 3, 4, 5}));
  EXPECT_TRUE(others.empty());
}

// Its forced-alignment test: a 65-byte header gets 7 spaces.
TEST(Safetensors, MatchesReferenceBytesPadded) {
  std::string header = "{\"attn0\":{\"dtype\":\"F32\",\"shape\":[1,1,2,3],"
                       "\"data_offsets\":[0,24]}}";
  ASSERT_EQ(header.size(), 65u);
  Bytes expected = safetensors(header + "       ", f32({0, 1, 2, 3, 4, 5}));
  ASSERT_EQ(expected[0], 72);

  TensorMap tensors;
  tensors["attn0"].shape = {1, 1, 2, 3};
  tensors["attn0"].data = {0, 1, 2, 3, 4, 5};
  Bytes written;
  std::string error;
  ASSERT_TRUE(serializeSafetensors(tensors, written, error)) << error;
  EXPECT_EQ(written, expected);
}

TEST(Safetensors, MatchesReferenceBytesEmpty) {
  Bytes expected = le(8, 8) + bytesOf("{}      ");
  Bytes written;
  std::string error;
  ASSERT_TRUE(serializeSafetensors({}, written, error)) << error;
  EXPECT_EQ(written, expected);
  TensorMap out;
  Dtypes others;
  EXPECT_TRUE(readBytes(expected, out, others, error)) << error;
  EXPECT_TRUE(out.empty());
}

// Several tensors: keys sorted, offsets contiguous, as Python writes them.
TEST(Safetensors, MatchesPythonBytesForSeveralTensors) {
  std::string header =
      padded("{\"conv.bias\":{\"dtype\":\"F32\",\"shape\":[2],"
             "\"data_offsets\":[0,8]},\"conv.weight\":{\"dtype\":\"F32\","
             "\"shape\":[2,1,1,1],\"data_offsets\":[8,16]},\"fc.weight\":{"
             "\"dtype\":\"F32\",\"shape\":[1,3],\"data_offsets\":[16,28]}}");
  Bytes expected = safetensors(header, f32({0.5f, -0.5f, 1, 2, 3, 4, 5}));

  TensorMap tensors;
  tensors["fc.weight"].shape = {1, 3};
  tensors["fc.weight"].data = {3, 4, 5};
  tensors["conv.weight"].shape = {2, 1, 1, 1};
  tensors["conv.weight"].data = {1, 2};
  tensors["conv.bias"].shape = {2};
  tensors["conv.bias"].data = {0.5f, -0.5f};
  Bytes written;
  std::string error;
  ASSERT_TRUE(serializeSafetensors(tensors, written, error)) << error;
  EXPECT_EQ(written, expected);
}

// A PyTorch BatchNorm state_dict as safetensors.torch.save_model writes it:
// "__metadata__" first, then tensors by descending dtype (the I64
// num_batches_tracked before the F32 tensors), then by name.
TEST(Safetensors, ReadsPyTorchBatchNormStateDict) {
  std::string header = padded(
      "{\"__metadata__\":{\"format\":\"pt\"},"
      "\"bn.num_batches_tracked\":{\"dtype\":\"I64\",\"shape\":[],"
      "\"data_offsets\":[0,8]},"
      "\"bn.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]},"
      "\"bn.running_mean\":{\"dtype\":\"F32\",\"shape\":[2],"
      "\"data_offsets\":[16,24]},"
      "\"bn.running_var\":{\"dtype\":\"F32\",\"shape\":[2],"
      "\"data_offsets\":[24,32]},"
      "\"bn.weight\":{\"dtype\":\"F32\",\"shape\":[2],"
      "\"data_offsets\":[32,40]}}");
  Bytes file = safetensors(
      header, le(1234, 8) + f32({0.1f, 0.2f, 0.3f, 0.4f, 1.5f, 2.5f, 1, 1}));
  TensorMap out;
  Dtypes others;
  std::string error;
  ASSERT_TRUE(readBytes(file, out, others, error)) << error;
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out["bn.bias"].data, (std::vector<float>{0.1f, 0.2f}));
  EXPECT_EQ(out["bn.running_mean"].data, (std::vector<float>{0.3f, 0.4f}));
  EXPECT_EQ(out["bn.running_var"].data, (std::vector<float>{1.5f, 2.5f}));
  EXPECT_EQ(out["bn.weight"].data, (std::vector<float>{1, 1}));
  EXPECT_EQ(out["bn.weight"].shape, (std::vector<int64_t>{2}));
  EXPECT_EQ(others, (Dtypes{{"bn.num_batches_tracked", "I64"}}));
}

TEST(Safetensors, RecordsOtherDtypesWithoutLoadingThem) {
  std::string header = padded(
      "{\"h\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[0,6]},"
      "\"b\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[6,8]},"
      "\"d\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[8,16]},"
      "\"q\":{\"dtype\":\"F4\",\"shape\":[2],\"data_offsets\":[16,17]},"
      "\"u\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[17,20]},"
      "\"f\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[20,24]}}");
  Bytes file = safetensors(header, zeros(20) + f32({7}));
  TensorMap out;
  Dtypes others;
  std::string error;
  ASSERT_TRUE(readBytes(file, out, others, error)) << error;
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out["f"].data, std::vector<float>{7});
  EXPECT_EQ(others, (Dtypes{{"h", "F16"},
                            {"b", "BF16"},
                            {"d", "F64"},
                            {"q", "F4"},
                            {"u", "U8"}}));
}

// The reference reader sorts by offsets, so any header order is valid.
TEST(Safetensors, ReadsEntriesInAnyOrder) {
  std::string header =
      padded("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]},"
             "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}");
  Bytes file = safetensors(header, f32({1, 2, 3, 4}));
  TensorMap out;
  Dtypes others;
  std::string error;
  ASSERT_TRUE(readBytes(file, out, others, error)) << error;
  EXPECT_EQ(out["a"].data, (std::vector<float>{3, 4}));
  EXPECT_EQ(out["b"].data, (std::vector<float>{1, 2}));
}

TEST(Safetensors, ReadsPrettyPrintedHeaderAndNullMetadata) {
  std::string header = "{\n\t\"__metadata__\": null,\r\n  \"s\" : {\"dtype\""
                       " : \"F32\", \"shape\" : [ ], \"data_offsets\" : [0, 4]"
                       "}\n}\n";
  Bytes file = safetensors(header, f32({-2}));
  TensorMap out;
  Dtypes others;
  std::string error;
  ASSERT_TRUE(readBytes(file, out, others, error)) << error;
  EXPECT_TRUE(out["s"].shape.empty());
  EXPECT_EQ(out["s"].data, std::vector<float>{-2});
}

// Empty tensors take no bytes and may sit at any boundary.
TEST(Safetensors, AcceptsEmptyTensorsAtBoundaries) {
  std::string header = padded(
      "{\"e0\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]},"
      "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
      "\"e1\":{\"dtype\":\"F32\",\"shape\":[3,0],\"data_offsets\":[4,4]}}");
  Bytes file = safetensors(header, f32({9}));
  TensorMap out;
  Dtypes others;
  std::string error;
  ASSERT_TRUE(readBytes(file, out, others, error)) << error;
  EXPECT_EQ(out.size(), 3u);
  EXPECT_EQ(out["e1"].shape, (std::vector<int64_t>{3, 0}));
  EXPECT_TRUE(out["e1"].data.empty());
  EXPECT_EQ(out["a"].data, std::vector<float>{9});
}

// Reads from an odd address, as a caller's mmap plus offset may give.
TEST(Safetensors, ReadsFromUnalignedMemory) {
  Bytes file = safetensors(
      padded(
          "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}"),
      f32({1.25f, -3}));
  Bytes shifted = Bytes{0} + file;
  TensorMap out;
  Dtypes others;
  std::string error;
  ASSERT_TRUE(readSafetensorsFromMemory(shifted.data() + 1, file.size(), "m",
                                        out, others, error))
      << error;
  EXPECT_EQ(out["x"].data, (std::vector<float>{1.25f, -3}));
}

TEST(Safetensors, FileRoundTripIsBitExact) {
  TensorMap tensors;
  tensors["conv1.weight"] = Tensor({2, 1, 3, 3});
  for (size_t i = 0; i < tensors["conv1.weight"].data.size(); ++i)
    tensors["conv1.weight"].data[i] = 0.1f * static_cast<float>(i) - 0.7f;
  tensors["scalar"].shape = {};
  tensors["scalar"].data = {42};
  tensors["empty"] = Tensor({0, 3});
  float nanWithPayload;
  uint32_t payload = 0x7fc00123;
  std::memcpy(&nanWithPayload, &payload, 4);
  tensors["special"].shape = {7};
  tensors["special"].data = {nanWithPayload,
                             -0.0f,
                             std::numeric_limits<float>::infinity(),
                             -std::numeric_limits<float>::infinity(),
                             std::numeric_limits<float>::denorm_min(),
                             std::numeric_limits<float>::max(),
                             std::numeric_limits<float>::lowest()};

  std::string path = testing::TempDir() + "resc_roundtrip.safetensors";
  std::string error;
  ASSERT_TRUE(writeSafetensors(path, tensors, error)) << error;
  TensorMap out;
  Dtypes others;
  ASSERT_TRUE(readSafetensors(path, out, others, error)) << error;
  std::remove(path.c_str());

  ASSERT_EQ(out.size(), tensors.size());
  for (const auto &[name, tensor] : tensors) {
    const Tensor &back = out[name];
    EXPECT_EQ(back.shape, tensor.shape) << name;
    ASSERT_EQ(back.data.size(), tensor.data.size()) << name;
    for (size_t i = 0; i < tensor.data.size(); ++i)
      EXPECT_EQ(bitsOf(back.data[i]), bitsOf(tensor.data[i]))
          << name << "[" << i << "]";
  }
}

TEST(Safetensors, EscapesAndUnicodeKeysRoundTrip) {
  TensorMap tensors;
  std::string unicode = "\xc3\xbcn\xc3\xaf.\xf0\x9f\x98\x80";
  std::string escaped = "q\"b\\s\n\x01/";
  tensors[unicode].data = {1};
  tensors[escaped].data = {2};
  Bytes written;
  std::string error;
  ASSERT_TRUE(serializeSafetensors(tensors, written, error)) << error;
  std::string image(written.begin(), written.end());
  // serde_json's escaping: short forms where JSON has them, lowercase \u00xx
  // for other control characters, '/' and non-ASCII as they are.
  EXPECT_NE(image.find("\"q\\\"b\\\\s\\n\\u0001/\""), std::string::npos)
      << image;
  EXPECT_NE(image.find("\"" + unicode + "\""), std::string::npos);

  TensorMap out;
  Dtypes others;
  ASSERT_TRUE(readBytes(written, out, others, error)) << error;
  EXPECT_EQ(out[unicode].data, std::vector<float>{1});
  EXPECT_EQ(out[escaped].data, std::vector<float>{2});
  EXPECT_EQ(out.size(), 2u);
}

TEST(Safetensors, ReaderDecodesEscapedKeys) {
  std::string header = padded("{\"a\\u00e9\\ud83d\\ude00\\/\\t\":{\"dtype\":"
                              "\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}");
  Bytes file = safetensors(header, f32({5}));
  TensorMap out;
  Dtypes others;
  std::string error;
  ASSERT_TRUE(readBytes(file, out, others, error)) << error;
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out.begin()->first, "a\xc3\xa9\xf0\x9f\x98\x80/\t");
}

// Whatever the key lengths, the data starts 8-aligned after spaces only.
TEST(Safetensors, HeaderPaddingAlignsData) {
  for (size_t length = 1; length <= 17; ++length) {
    TensorMap tensors;
    tensors[std::string(length, 'k')].data = {1};
    Bytes written;
    std::string error;
    ASSERT_TRUE(serializeSafetensors(tensors, written, error)) << error;
    uint64_t headerSize = written[0] | (written[1] << 8);
    EXPECT_EQ(headerSize % 8, 0u) << length;
    std::string header(written.begin() + 8, written.begin() + 8 + headerSize);
    size_t close = header.rfind('}');
    EXPECT_LT(header.size() - 1 - close, 8u);
    EXPECT_EQ(header.find_first_not_of(' ', close + 1), std::string::npos);
    EXPECT_EQ(written.size(), 8 + headerSize + 4);
  }
}

TEST(Safetensors, WriterRejectsInconsistentTensors) {
  std::string error;
  Bytes written;
  TensorMap mismatch;
  mismatch["fc.weight"].shape = {2, 3};
  mismatch["fc.weight"].data = {1, 2, 3, 4, 5};
  EXPECT_FALSE(serializeSafetensors(mismatch, written, error));
  EXPECT_EQ(error,
            "tensor 'fc.weight': shape [2, 3] does not match its 5 values");

  TensorMap negative;
  negative["n"].shape = {-1};
  EXPECT_FALSE(serializeSafetensors(negative, written, error));
  EXPECT_NE(error.find("shape [-1] does not match"), std::string::npos);

  TensorMap reserved;
  reserved["__metadata__"].data = {1};
  EXPECT_FALSE(serializeSafetensors(reserved, written, error));
  EXPECT_NE(error.find("reserved"), std::string::npos);

  TensorMap badName;
  badName["a\xff"].data = {1};
  EXPECT_FALSE(serializeSafetensors(badName, written, error));
  EXPECT_EQ(error, "tensor 'a\\xff': the name is not valid UTF-8");

  std::string path = testing::TempDir() + "resc_never_written.safetensors";
  EXPECT_FALSE(writeSafetensors(path, mismatch, error));
  EXPECT_EQ(error.rfind(path + ": tensor 'fc.weight'", 0), 0u) << error;
  std::FILE *file = std::fopen(path.c_str(), "rb");
  EXPECT_EQ(file, nullptr);
  if (file)
    std::fclose(file);
}

TEST(Safetensors, FileErrorsNameThePath) {
  TensorMap out;
  Dtypes others;
  std::string error;
  std::string missing = testing::TempDir() + "resc_no_such_file.safetensors";
  EXPECT_FALSE(readSafetensors(missing, out, others, error));
  EXPECT_EQ(error.rfind(missing + ": cannot open for reading: ", 0), 0u)
      << error;

  EXPECT_FALSE(readSafetensors(testing::TempDir(), out, others, error));
  EXPECT_EQ(error.rfind(testing::TempDir() + ": cannot", 0), 0u) << error;

  std::string bad = testing::TempDir() + "resc_bad.safetensors";
  Bytes image = le(1000, 8) + bytesOf("{}");
  std::FILE *file = std::fopen(bad.c_str(), "wb");
  ASSERT_NE(file, nullptr);
  std::fwrite(image.data(), 1, image.size(), file);
  std::fclose(file);
  EXPECT_FALSE(readSafetensors(bad, out, others, error));
  std::remove(bad.c_str());
  EXPECT_EQ(error, bad + ": header length 1000 is larger than the rest of "
                         "the file (2 bytes)");

  EXPECT_FALSE(
      writeSafetensors(testing::TempDir() + "no/such/dir/w.st", {}, error));
  EXPECT_NE(error.find("no/such/dir/w.st: cannot open for writing: "),
            std::string::npos)
      << error;
}

} // namespace
} // namespace resc
