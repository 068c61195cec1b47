//===- SafetensorsHostileTest.cpp - Malformed safetensors files -----------===//
//
// Each case is a file image and a piece of the message it must produce. The
// reader must fail cleanly (no crash, no out-of-bounds read under ASan, no
// huge allocation), name the file, and leave its outputs empty.
//
//===----------------------------------------------------------------------===//

#include "TestBytes.h"

#include "resc/Safetensors.h"

#include <gtest/gtest.h>

#include <set>

namespace resc {
namespace {

using namespace test;

struct HostileCase {
  const char *name;
  Bytes file;
  const char *expected;
};

std::ostream &operator<<(std::ostream &os, const HostileCase &c) {
  return os << c.name;
}

/// One F32 tensor "t" of shape [4] with the given header fragment spliced
/// into its entry, for cases about a single field.
std::string entry(const std::string &fields) {
  return "{\"t\":{" + fields + "}}";
}

std::vector<HostileCase> hostileCases() {
  const std::string okT =
      "\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]";
  std::string deep =
      "{\"t\":" + std::string(1000, '[') + std::string(1000, ']') + "}";
  return {
      // The 8-byte length and the header's extent.
      {"Empty", {}, "file is empty"},
      {"FiveBytes", bytesOf("{}   "),
       "file is 5 bytes, too short for the 8-byte header length"},
      {"HeaderLength2To63", le(uint64_t(1) << 63, 8) + bytesOf("{}"),
       "header length 9223372036854775808 exceeds the limit of 100000000 "
       "bytes"},
      {"HeaderLengthAllOnes", le(~uint64_t(0), 8) + bytesOf("{}"),
       "header length 18446744073709551615 exceeds the limit"},
      {"HeaderLongerThanFile", le(1000, 8) + bytesOf("{}      "),
       "header length 1000 is larger than the rest of the file (8 bytes)"},
      {"HeaderOneByteTooLong", le(9, 8) + bytesOf("{}      "),
       "header length 9 is larger than the rest of the file (8 bytes)"},
      {"HeaderLengthZero", le(0, 8) + f32({1}), "header length is 0"},
      // Files of other formats that users pass as weights, named.
      {"NumpyFile",
       bytesOf(std::string("\x93NUMPY\x01\x00"
                           "v\x00{'descr': '<f4'}",
                           26)),
       "not a safetensors file (it looks like .npy, NumPy's format)"},
      {"TorchZip",
       bytesOf(std::string("PK\x03\x04\x14\x00\x00\x00", 8)) +
           bytesOf("archive/data.pkl"),
       "not a safetensors file (it looks like a zip archive, as torch.save "
       "writes a .pth)"},
      {"LegacyTorchPickle",
       bytesOf(std::string("\x80\x02\x8a\x0a"
                           "lXYZ"
                           "\x9c"
                           "F j",
                           12)),
       "not a safetensors file (it looks like a Python pickle"},
      {"HeaderNotAnObject", safetensors("[]", {}),
       "header does not start with '{'"},
      {"HeaderLeadingSpace", safetensors(" {}", {}),
       "header does not start with '{'"},

      // JSON syntax.
      {"TruncatedJson", safetensors("{\"t\":{", {}),
       "header is not valid JSON: unexpected end of input, expected a "
       "string as object key at byte 6"},
      {"TrailingComma", safetensors("{\"__metadata__\":{},}", {}),
       "expected a string as object key at byte 19"},
      {"TrailingGarbage", safetensors("{}x", {}),
       "unexpected 'x' after the JSON value at byte 2"},
      {"NulPadding", safetensors(std::string("{}\0\0\0\0\0\0", 8), {}),
       "unexpected byte 0x00 after the JSON value"},
      {"SingleQuotes", safetensors("{'t':1}", {}),
       "unexpected ''', expected a string as object key"},
      {"NaNLiteral", safetensors("{\"t\":NaN}", {}),
       "unexpected 'N', expected a value at byte 5"},
      {"BadLiteral", safetensors("{\"t\":tru}", {}),
       "invalid literal, expected 'true'"},
      {"LeadingZero", safetensors(entry("\"shape\":[01]"), {}),
       "leading zeros are not allowed"},
      {"BareMinus", safetensors(entry("\"shape\":[-]"), {}),
       "invalid number, expected a digit"},
      {"MissingColon", safetensors("{\"t\" 1}", {}),
       "expected ':' after an object key"},
      {"UnterminatedString", safetensors("{\"t", {}), "unterminated string"},
      {"ControlCharInKey", safetensors("{\"a\nb\":{}}", {}),
       "unescaped control character 0x0a in a string at byte 3"},
      {"InvalidEscape", safetensors("{\"a\\x\":{}}", {}),
       "invalid escape '\\x'"},
      {"BadHexEscape", safetensors("{\"a\\u12G4\":{}}", {}),
       "invalid hex digit in a \\u escape"},
      {"DeepNesting", safetensors(deep, {}), "nesting deeper than 64"},
      {"DuplicateKey",
       safetensors("{\"t\":{" + okT + "},\"t\":{" + okT + "}}",
                   f32({1, 2, 3, 4})),
       "header is not valid JSON: duplicate key 't' at byte 55"},
      {"DuplicateKeyViaEscape",
       safetensors("{\"t\":{" + okT + "},\"\\u0074\":{" + okT + "}}",
                   f32({1, 2, 3, 4})),
       "duplicate key 't'"},
      {"DuplicateField",
       safetensors(entry(okT + ",\"dtype\":\"F32\""), f32({1, 2, 3, 4})),
       "duplicate key 'dtype'"},

      // UTF-8 in keys.
      {"NonUtf8Key", safetensors("{\"\xff\":{}}", {}),
       "invalid UTF-8 (byte 0xff) in a string at byte 2"},
      {"OverlongUtf8Key", safetensors("{\"\xc0\xaf\":{}}", {}),
       "invalid UTF-8 (byte 0xc0)"},
      {"EncodedSurrogateKey", safetensors("{\"\xed\xa0\x80\":{}}", {}),
       "invalid UTF-8 (byte 0xed)"},
      {"AboveU10FFFFKey", safetensors("{\"\xf4\x90\x80\x80\":{}}", {}),
       "invalid UTF-8 (byte 0xf4)"},
      {"Utf8CutByQuote", safetensors("{\"\xc3\":{}}", {}),
       "invalid UTF-8 (byte 0xc3)"},
      {"LoneHighSurrogateEscape", safetensors("{\"\\ud800\":{}}", {}),
       "lone high surrogate"},
      {"LoneLowSurrogateEscape", safetensors("{\"\\udc00\":{}}", {}),
       "lone low surrogate"},
      {"HighSurrogateThenLetter", safetensors("{\"\\ud800\\u0041\":{}}", {}),
       "high surrogate not followed by a low surrogate"},

      // The shape of one entry.
      {"EntryNotObject", safetensors("{\"t\":[1]}", {}),
       "test.safetensors: tensor 't': entry is not an object"},
      {"MissingDtype",
       safetensors(entry("\"shape\":[],\"data_offsets\":[0,4]"), f32({1})),
       "tensor 't': missing field 'dtype'"},
      {"MissingShape",
       safetensors(entry("\"dtype\":\"F32\",\"data_offsets\":[0,4]"), f32({1})),
       "tensor 't': missing field 'shape'"},
      {"MissingOffsets",
       safetensors(entry("\"dtype\":\"F32\",\"shape\":[]"), {}),
       "tensor 't': missing field 'data_offsets'"},
      {"UnknownField",
       safetensors(entry(okT + ",\"strides\":[1]"), f32({1, 2, 3, 4})),
       "tensor 't': unexpected field 'strides'"},
      {"DtypeNotString",
       safetensors(entry("\"dtype\":32,\"shape\":[],\"data_offsets\":[0,4]"),
                   f32({1})),
       "tensor 't': 'dtype' is not a string"},
      {"UnknownDtype",
       safetensors(
           entry("\"dtype\":\"F128\",\"shape\":[],\"data_offsets\":[0,16]"),
           zeros(16)),
       "tensor 't': unknown dtype 'F128'"},
      {"LowercaseDtype",
       safetensors(
           entry("\"dtype\":\"f32\",\"shape\":[],\"data_offsets\":[0,4]"),
           f32({1})),
       "unknown dtype 'f32'"},
      {"ShapeNotArray",
       safetensors(
           entry("\"dtype\":\"F32\",\"shape\":4,\"data_offsets\":[0,16]"),
           zeros(16)),
       "tensor 't': 'shape' is not an array"},
      {"NegativeDim",
       safetensors(
           entry("\"dtype\":\"F32\",\"shape\":[2,-5],\"data_offsets\":[0,0]"),
           {}),
       "tensor 't': 'shape' element 1 is negative (-5)"},
      {"FractionalDim",
       safetensors(
           entry("\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]"),
           zeros(8)),
       "'shape' element 0 is not an integer (2.0)"},
      {"ExponentDim",
       safetensors(
           entry("\"dtype\":\"F32\",\"shape\":[1e2],\"data_offsets\":[0,400]"),
           zeros(400)),
       "'shape' element 0 is not an integer (1e2)"},
      {"StringDim",
       safetensors(
           entry("\"dtype\":\"F32\",\"shape\":[\"4\"],\"data_offsets\":[0,16]"),
           zeros(16)),
       "'shape' element 0 is not an integer"},
      {"DimAbove2To63",
       safetensors(entry("\"dtype\":\"F32\",\"shape\":[18446744073709551616],"
                         "\"data_offsets\":[0,0]"),
                   {}),
       "'shape' element 0 is too large (18446744073709551616)"},
      {"ShapeProductOverflows",
       safetensors(entry("\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],"
                         "\"data_offsets\":[0,0]"),
                   {}),
       "tensor 't': shape [4294967296, 4294967296] of F32 is too large (its "
       "size overflows 64 bits)"},
      {"ShapeBytesOverflow",
       safetensors(entry("\"dtype\":\"F32\",\"shape\":[4611686018427387904],"
                         "\"data_offsets\":[0,0]"),
                   {}),
       "shape [4611686018427387904] of F32 is too large"},
      {"ShapeWrapsToSmall",
       // 2^32 * 2^32 wraps to 0 in 64-bit arithmetic.
       safetensors(entry("\"dtype\":\"U8\",\"shape\":[4294967296,4294967296,"
                         "1],\"data_offsets\":[0,0]"),
                   {}),
       "is too large (its size overflows 64 bits)"},

      // The byte ranges.
      {"OffsetsNotArray",
       safetensors(entry("\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":4"),
                   f32({1})),
       "tensor 't': 'data_offsets' is not an array"},
      {"OneOffset",
       safetensors(entry("\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[4]"),
                   f32({1})),
       "tensor 't': 'data_offsets' must hold 2 numbers [begin, end], not 1"},
      {"ThreeOffsets",
       safetensors(
           entry("\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4,8]"),
           f32({1, 2})),
       "'data_offsets' must hold 2 numbers [begin, end], not 3"},
      {"NegativeOffset",
       safetensors(
           entry("\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]"),
           f32({1})),
       "'data_offsets' element 0 is negative (-4)"},
      {"BeginAfterEnd",
       safetensors(
           entry("\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[16,8]"),
           zeros(16)),
       "tensor 't': data_offsets [16, 8] begin after they end"},
      {"OffsetsPastEnd",
       safetensors(entry("\"dtype\":\"F32\",\"shape\":[100],"
                         "\"data_offsets\":[0,400]"),
                   zeros(16)),
       "tensor 't': data_offsets [0, 400] go past the end of the 16-byte data "
       "section (is the file truncated?)"},
      {"OffsetsHuge",
       safetensors(entry("\"dtype\":\"F32\",\"shape\":[2305843009213693951],"
                         "\"data_offsets\":[4,9223372036854775808]"),
                   zeros(16)),
       "'data_offsets' element 1 is too large (9223372036854775808)"},
      {"OffsetsNearInt64Max",
       safetensors(entry("\"dtype\":\"F32\",\"shape\":[2305843009213693951],"
                         "\"data_offsets\":[3,9223372036854775807]"),
                   zeros(16)),
       "data_offsets [3, 9223372036854775807] go past the end"},
      {"TruncatedData", safetensors(entry(okT), f32({1, 2, 3})),
       "data_offsets [0, 16] go past the end of the 12-byte data section"},
      {"SizeMismatch",
       safetensors("{\"fc.weight\":{\"dtype\":\"F32\",\"shape\":[10,5],"
                   "\"data_offsets\":[0,100]}}",
                   zeros(100)),
       "test.safetensors: tensor 'fc.weight': data_offsets [0, 100] do not "
       "match shape [10, 5] of F32 (200 bytes)"},
      {"SizeMismatchF16",
       safetensors(
           entry("\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[0,16]"),
           zeros(16)),
       "data_offsets [0, 16] do not match shape [4] of F16 (8 bytes)"},
      {"ScalarWithNoBytes",
       safetensors(
           entry("\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,0]"), {}),
       "data_offsets [0, 0] do not match shape [] of F32 (4 bytes)"},
      {"HalfByteF4",
       safetensors(
           entry("\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,2]"),
           zeros(2)),
       "shape [3] of F4 is 12 bits, not a whole number of bytes"},
      {"Overlap",
       safetensors("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":["
                   "0,16]},\"b\":{\"dtype\":\"F32\",\"shape\":[4],"
                   "\"data_offsets\":[8,24]}}",
                   zeros(24)),
       "test.safetensors: tensor 'b': data_offsets [8, 24] overlap those of "
       "tensor 'a' [0, 16]"},
      {"SameRangeTwice",
       safetensors("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":["
                   "0,16]},\"b\":{\"dtype\":\"I32\",\"shape\":[4],"
                   "\"data_offsets\":[0,16]}}",
                   zeros(16)),
       "tensor 'b': data_offsets [0, 16] overlap those of tensor 'a' [0, 16]"},
      {"EmptyTensorInsideAnother",
       safetensors("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":["
                   "0,16]},\"e\":{\"dtype\":\"F32\",\"shape\":[0],"
                   "\"data_offsets\":[8,8]}}",
                   zeros(16)),
       "tensor 'e': data_offsets [8, 8] overlap those of tensor 'a'"},
      {"Gap",
       safetensors("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":["
                   "0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],"
                   "\"data_offsets\":[16,24]}}",
                   zeros(24)),
       "test.safetensors: data bytes [8, 16) belong to no tensor (the data "
       "must have no gaps)"},
      {"GapAtStart",
       safetensors(
           entry("\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]"),
           zeros(16)),
       "data bytes [0, 8) belong to no tensor"},
      {"TrailingBytes", safetensors(entry(okT), zeros(20)),
       "data bytes [16, 20) after the last tensor belong to no tensor"},
      {"DataButNoTensors", safetensors("{}      ", zeros(4)),
       "data bytes [0, 4) belong to no tensor (the header lists none)"},

      // Metadata.
      {"MetadataNotObject", safetensors("{\"__metadata__\":\"pt\"}", {}),
       "test.safetensors: '__metadata__' is not an object"},
      {"MetadataValueNotString",
       safetensors("{\"__metadata__\":{\"format\":1}}", {}),
       "'__metadata__' value for 'format' is not a string"},
      {"MetadataNested",
       safetensors("{\"__metadata__\":{\"a\":{\"b\":\"c\"}}}", {}),
       "'__metadata__' value for 'a' is not a string"},
  };
}

class SafetensorsHostile : public testing::TestWithParam<HostileCase> {};

TEST_P(SafetensorsHostile, FailsWithMessage) {
  const HostileCase &c = GetParam();
  TensorMap out;
  out["stale"] = Tensor({1});
  std::map<std::string, std::string> others;
  others["stale"] = "F16";
  std::string error;
  EXPECT_FALSE(readSafetensorsFromMemory(
      c.file.data(), c.file.size(), "test.safetensors", out, others, error));
  EXPECT_NE(error.find(c.expected), std::string::npos)
      << "message: " << error << "\nexpected to contain: " << c.expected;
  EXPECT_EQ(error.rfind("test.safetensors: ", 0), 0u) << error;
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(others.empty());
}

INSTANTIATE_TEST_SUITE_P(Cases, SafetensorsHostile,
                         testing::ValuesIn(hostileCases()),
                         [](const testing::TestParamInfo<HostileCase> &info) {
                           return std::string(info.param.name);
                         });

// The table must not shrink unnoticed: the brief asks for broad coverage.
TEST(SafetensorsHostileTable, HasManyDistinctCases) {
  std::vector<HostileCase> cases = hostileCases();
  EXPECT_GE(cases.size(), 60u);
  std::set<std::string> names;
  for (const HostileCase &c : cases)
    EXPECT_TRUE(names.insert(c.name).second) << c.name;
}

// Every single-byte truncation of a valid file fails cleanly: this walks the
// reader through every partial state a cut-off download can leave.
TEST(SafetensorsHostileTable, EveryTruncationFails) {
  Bytes file = safetensors("{\"__metadata__\":{\"format\":\"pt\"},\"a\":{"
                           "\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":["
                           "0,8]}}   ",
                           f32({1, 2}));
  TensorMap out;
  std::map<std::string, std::string> others;
  std::string error;
  ASSERT_TRUE(readSafetensorsFromMemory(file.data(), file.size(), "f", out,
                                        others, error))
      << error;
  for (size_t size = 0; size < file.size(); ++size) {
    // A fresh copy of exactly `size` bytes, so ASan sees any overread.
    Bytes cut(file.begin(), file.begin() + size);
    EXPECT_FALSE(readSafetensorsFromMemory(cut.data(), cut.size(), "f", out,
                                           others, error))
        << "size " << size;
    EXPECT_FALSE(error.empty());
  }
}

// Changing any single byte of the file must never crash or read out of
// bounds; it may still parse (a digit changed into another digit can give a
// consistent file), so only the absence of crashes and a message on failure
// are checked.
TEST(SafetensorsHostileTable, EveryHeaderByteFlipIsSafe) {
  Bytes file = safetensors("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],"
                           "\"data_offsets\":[0,8]}}  ",
                           f32({1, 2}));
  for (size_t i = 0; i < file.size(); ++i) {
    for (uint8_t value : {0x00, 0x22, 0x5c, 0x7b, 0x80, 0xff}) {
      Bytes bad = file;
      bad[i] = value;
      TensorMap out;
      std::map<std::string, std::string> others;
      std::string error;
      if (!readSafetensorsFromMemory(bad.data(), bad.size(), "f", out, others,
                                     error))
        EXPECT_EQ(error.rfind("f: ", 0), 0u) << error;
    }
  }
}

} // namespace
} // namespace resc
