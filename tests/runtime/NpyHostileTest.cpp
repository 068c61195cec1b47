//===- NpyHostileTest.cpp - Malformed .npy files --------------------------===//
//
// Each case is a file image and a piece of the message it must produce; the
// reader must fail cleanly, name the file and leave its output empty.
//
//===----------------------------------------------------------------------===//

#include "TestBytes.h"

#include "resc/Npy.h"

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

/// A version 1.0 file whose dict has the given entries.
Bytes v1(const std::string &dict, const Bytes &data) {
  return npy(1, dict + "\n", data);
}

/// A dict with `shape` and a valid '<f4' C-order description.
std::string withShape(const std::string &shape) {
  return "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
}

std::vector<HostileCase> hostileCases() {
  return {
      // The fixed prefix.
      {"Empty", {}, "a.npy: file is empty"},
      {"NotNpy", bytesOf("PK\x03\x04 this is a zip"),
       "not a .npy file (it does not start with \"\\x93NUMPY\")"},
      {"WrongMagic", bytesOf("\x93NUMPZ") + Bytes{1, 0}, "not a .npy file"},
      {"ShortMagic", bytesOf("\x93NUM"), "not a .npy file"},
      {"EndsAfterMagic", bytesOf("\x93NUMPY"),
       "file ends inside the format version"},
      {"Version4", bytesOf("\x93NUMPY") + Bytes{4, 0} + le(0, 4),
       ".npy format version 4.0 is not supported (only 1.0, 2.0 and 3.0)"},
      {"Version1Minor1", bytesOf("\x93NUMPY") + Bytes{1, 1} + le(0, 2),
       "format version 1.1 is not supported"},
      {"Version0", bytesOf("\x93NUMPY") + Bytes{0, 0} + le(0, 2),
       "format version 0.0 is not supported"},
      {"EndsInsideLength", bytesOf("\x93NUMPY") + Bytes{1, 0, 10},
       "file ends inside the header length"},
      {"EndsInsideLengthV2", bytesOf("\x93NUMPY") + Bytes{2, 0, 10, 0, 0},
       "file ends inside the header length"},
      {"HeaderLongerThanFile",
       bytesOf("\x93NUMPY") + Bytes{1, 0} + le(500, 2) + bytesOf("{}"),
       "header length 500 is larger than the rest of the file (2 bytes)"},
      {"HeaderLength4GiB",
       bytesOf("\x93NUMPY") + Bytes{2, 0} + le(0xFFFFFFFF, 4) + bytesOf("{}"),
       "header length 4294967295 is larger than the rest of the file"},

      // The dict's syntax.
      {"HeaderNotDict", v1("[1, 2]", {}),
       "malformed header: unexpected '[', the header must be a dict starting "
       "with '{' at byte 0 of the header"},
      {"EmptyHeader", npy(1, "", {}),
       "unexpected end of header, the header must be a dict"},
      {"UnterminatedDict", npy(1, "{'descr': '<f4', ", {}),
       "expected a quoted key or '}'"},
      {"KeyQuoteMisplaced", v1("{'descr: '<f4'}", {}),
       "unexpected '<', expected ':' after 'descr: '"},
      {"StringRunsToEnd", npy(1, "{'descr", {}), "unterminated string"},
      {"MissingColon", v1("{'descr' '<f4'}", {}), "expected ':' after 'descr'"},
      {"MissingComma",
       v1("{'descr': '<f4' 'fortran_order': False, 'shape': (), }", {}),
       "expected ',' or '}' in the dict at byte 16 of the header"},
      {"GarbageAfterDict", v1(withShape("()") + " x", f32({1})),
       "unexpected 'x' after the dict"},
      {"UnquotedKey", v1("{descr: '<f4'}", {}), "expected a quoted key"},
      {"EscapeInString", v1("{'descr': '\\x3cf4'}", {}),
       "escape sequences are not supported in header strings"},
      {"NonAsciiInString", v1("{'descr': '<f4\xc3\xa9'}", {}),
       "unexpected byte 0xc3 in a string"},
      {"MissingShape", v1("{'descr': '<f4', 'fortran_order': False, }", {}),
       "a.npy: header: missing key 'shape'"},
      {"MissingDescr", v1("{'fortran_order': False, 'shape': (), }", {}),
       "missing key 'descr'"},
      {"MissingFortranOrder", v1("{'descr': '<f4', 'shape': (), }", {}),
       "missing key 'fortran_order'"},
      {"ExtraKey",
       v1("{'descr': '<f4', 'fortran_order': False, 'shape': (), "
          "'version': 2}",
          f32({1})),
       "unexpected key 'version' (expected 'descr', 'fortran_order' and "
       "'shape')"},
      {"DuplicateKey",
       v1("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': "
          "(), }",
          f32({1})),
       "duplicate key 'descr' at byte 17 of the header"},

      // The values.
      {"DescrNotString",
       v1("{'descr': 4, 'fortran_order': False, 'shape': (), }", f32({1})),
       "'descr' is not a string"},
      {"Float64",
       v1("{'descr': '<f8', 'fortran_order': False, 'shape': (), }", zeros(8)),
       "a.npy: dtype '<f8' is not supported; only '<f4' (little-endian "
       "float32) is"},
      {"BigEndianF32",
       v1("{'descr': '>f4', 'fortran_order': False, 'shape': (), }", zeros(4)),
       "dtype '>f4' is not supported"},
      {"NotApplicableF32",
       v1("{'descr': '|f4', 'fortran_order': False, 'shape': (), }", zeros(4)),
       "dtype '|f4' is not supported"},
      {"Int64",
       v1("{'descr': '<i8', 'fortran_order': False, 'shape': (), }", zeros(8)),
       "dtype '<i8' is not supported"},
      {"Float16",
       v1("{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }",
          zeros(4)),
       "dtype '<f2' is not supported"},
      {"Structured",
       v1("{'descr': [('x', '<f4')], 'fortran_order': False, 'shape': (), }",
          zeros(4)),
       "a.npy: header: 'descr' is a structured dtype (a list of fields); "
       "only '<f4' is supported"},
      {"FortranOrder",
       v1("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }",
          zeros(16)),
       "a.npy: fortran_order True (column-major data) is not supported"},
      {"FortranOrderNotBool",
       v1("{'descr': '<f4', 'fortran_order': 0, 'shape': (), }", zeros(4)),
       "'fortran_order' is not True or False"},
      {"FortranOrderPrefix",
       v1("{'descr': '<f4', 'fortran_order': Falsey, 'shape': (), }", zeros(4)),
       "'fortran_order' is not True or False"},
      {"ShapeList", v1(withShape("[2, 3]"), zeros(24)),
       "'shape' is not a tuple"},
      {"ShapeParenthesisedInt", v1(withShape("(5)"), zeros(20)),
       "'shape' (5) is not a tuple; a 1-d shape is written (5,)"},
      {"ShapeNegative", v1(withShape("(2, -1)"), {}),
       "a.npy: header: 'shape' has a negative dimension -1"},
      {"ShapeFloat", v1(withShape("(2.0,)"), zeros(8)),
       "expected ',' or ')' in 'shape'"},
      {"ShapeNone", v1(withShape("(None,)"), {}),
       "unexpected 'N', expected an integer in 'shape'"},
      {"ShapeLeadingZero", v1(withShape("(07,)"), zeros(28)),
       "'shape' dimension 07 has a leading zero"},
      {"ShapeDimTooLarge", v1(withShape("(99999999999999999999,)"), {}),
       "'shape' dimension 99999999999999999999 is too large"},
      {"ShapeUnclosed",
       npy(1,
           "{'descr': '<f4', 'fortran_order': False, "
           "'shape': (2, 3",
           {}),
       "unexpected end of header, expected ',' or ')' in 'shape'"},
      {"LongSuffixInVersion3", npy(3, withShape("(2L,)") + "\n", zeros(8)),
       "expected ',' or ')' in 'shape'"},
      {"ShapeProductOverflows", v1(withShape("(4294967296, 4294967296)"), {}),
       "a.npy: shape (4294967296, 4294967296) is too large (its size "
       "overflows 64 bits)"},
      {"ShapeBytesOverflow", v1(withShape("(4611686018427387904,)"), {}),
       "shape (4611686018427387904,) is too large"},

      // The data.
      {"TruncatedData", v1(withShape("(2, 3)"), zeros(20)),
       "a.npy: data is truncated: shape (2, 3) of '<f4' needs 24 bytes, the "
       "file has 20"},
      {"NoDataForHugeShape", v1(withShape("(1000000000, 1000)"), zeros(4)),
       "needs 4000000000000 bytes, the file has 4"},
      {"ScalarWithoutData", v1(withShape("()"), {}),
       "shape () of '<f4' needs 4 bytes, the file has 0"},
      {"TrailingData", v1(withShape("(2,)"), zeros(12)),
       "a.npy: 4 unexpected bytes after the data of shape (2,)"},
  };
}

class NpyHostile : public testing::TestWithParam<HostileCase> {};

TEST_P(NpyHostile, FailsWithMessage) {
  const HostileCase &c = GetParam();
  Tensor out({3}, 1.0f);
  std::string error;
  EXPECT_FALSE(
      readNpyFromMemory(c.file.data(), c.file.size(), "a.npy", out, error));
  EXPECT_NE(error.find(c.expected), std::string::npos)
      << "message: " << error << "\nexpected to contain: " << c.expected;
  EXPECT_EQ(error.rfind("a.npy: ", 0), 0u) << error;
  EXPECT_TRUE(out.shape.empty());
  EXPECT_TRUE(out.data.empty());
}

INSTANTIATE_TEST_SUITE_P(Cases, NpyHostile, testing::ValuesIn(hostileCases()),
                         [](const testing::TestParamInfo<HostileCase> &info) {
                           return std::string(info.param.name);
                         });

TEST(NpyHostileTable, HasManyDistinctCases) {
  std::vector<HostileCase> cases = hostileCases();
  EXPECT_GE(cases.size(), 40u);
  std::set<std::string> names;
  for (const HostileCase &c : cases)
    EXPECT_TRUE(names.insert(c.name).second) << c.name;
}

TEST(NpyHostileTable, EveryTruncationFails) {
  Bytes file = v1(withShape("(2,)"), f32({1, 2}));
  Tensor out;
  std::string error;
  ASSERT_TRUE(readNpyFromMemory(file.data(), file.size(), "f", out, error))
      << error;
  for (size_t size = 0; size < file.size(); ++size) {
    Bytes cut(file.begin(), file.begin() + size);
    EXPECT_FALSE(readNpyFromMemory(cut.data(), cut.size(), "f", out, error))
        << "size " << size;
    EXPECT_EQ(error.rfind("f: ", 0), 0u) << error;
  }
}

TEST(NpyHostileTable, EveryByteChangeIsSafe) {
  Bytes file = v1(withShape("(2,)"), f32({1, 2}));
  for (size_t i = 0; i < file.size(); ++i) {
    for (uint8_t value : {0x00, 0x27, 0x28, 0x2c, 0x7d, 0x80, 0xff}) {
      Bytes bad = file;
      bad[i] = value;
      Tensor out;
      std::string error;
      if (!readNpyFromMemory(bad.data(), bad.size(), "f", out, error))
        EXPECT_EQ(error.rfind("f: ", 0), 0u) << error;
    }
  }
}

} // namespace
} // namespace resc
