//===- JsonTest.cpp - The runtime's strict JSON parser --------------------===//

#include "Json.h"

#include <gtest/gtest.h>

namespace resc {
namespace json {
namespace {

Value parsed(const std::string &text) {
  Value value;
  std::string error;
  EXPECT_TRUE(parse(text.data(), text.size(), value, error))
      << text << ": " << error;
  return value;
}

std::string parseError(const std::string &text) {
  Value value;
  std::string error;
  EXPECT_FALSE(parse(text.data(), text.size(), value, error)) << text;
  return error;
}

TEST(Json, ParsesNestedDocument) {
  Value v =
      parsed(" {\"a\": [1, -2.5e3, true, false, null, \"s\"], \"b\": {}}");
  ASSERT_EQ(v.kind, Value::Kind::Object);
  ASSERT_EQ(v.keys, (std::vector<std::string>{"a", "b"}));
  const Value &a = *v.find("a");
  ASSERT_EQ(a.items.size(), 6u);
  EXPECT_EQ(a.items[0].text, "1");
  EXPECT_EQ(a.items[1].text, "-2.5e3");
  EXPECT_TRUE(a.items[2].boolean);
  EXPECT_EQ(a.items[3].kind, Value::Kind::Bool);
  EXPECT_FALSE(a.items[3].boolean);
  EXPECT_EQ(a.items[4].kind, Value::Kind::Null);
  EXPECT_EQ(a.items[5].text, "s");
  EXPECT_EQ(v.find("b")->kind, Value::Kind::Object);
  EXPECT_EQ(v.find("c"), nullptr);
}

TEST(Json, DecodesEscapes) {
  Value v = parsed("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u00e9\\u20ac"
                   "\\ud83d\\ude00\"");
  EXPECT_EQ(v.text, "\"\\/\b\f\n\r\tA\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
}

TEST(Json, IntegerConversion) {
  int64_t n = -1;
  EXPECT_EQ(toNonNegativeInt(parsed("0"), n), IntStatus::Ok);
  EXPECT_EQ(n, 0);
  EXPECT_EQ(toNonNegativeInt(parsed("9223372036854775807"), n), IntStatus::Ok);
  EXPECT_EQ(n, INT64_MAX);
  EXPECT_EQ(toNonNegativeInt(parsed("9223372036854775808"), n),
            IntStatus::TooLarge);
  EXPECT_EQ(toNonNegativeInt(parsed("-1"), n), IntStatus::Negative);
  EXPECT_EQ(toNonNegativeInt(parsed("1.0"), n), IntStatus::NotInteger);
  EXPECT_EQ(toNonNegativeInt(parsed("1E2"), n), IntStatus::NotInteger);
  EXPECT_EQ(toNonNegativeInt(parsed("\"1\""), n), IntStatus::NotInteger);
}

TEST(Json, RejectsNonStandardSyntax) {
  EXPECT_NE(parseError("").find("unexpected end of input"), std::string::npos);
  EXPECT_NE(parseError("[1,]").find("expected a value"), std::string::npos);
  EXPECT_NE(parseError("{} {}").find("after the JSON value"),
            std::string::npos);
  EXPECT_NE(parseError("// c\n{}").find("expected a value"), std::string::npos);
  EXPECT_NE(parseError("+1").find("expected a value"), std::string::npos);
  EXPECT_NE(parseError(".5").find("expected a value"), std::string::npos);
  EXPECT_NE(parseError("1.").find("expected a digit after '.'"),
            std::string::npos);
  EXPECT_NE(parseError("1e").find("in the exponent"), std::string::npos);
  EXPECT_NE(parseError("Infinity").find("expected a value"), std::string::npos);
  EXPECT_NE(parseError("\"\\u12\"").find("invalid hex digit"),
            std::string::npos);
  EXPECT_NE(parseError("\"\\ud800").find("lone high surrogate"),
            std::string::npos);
  EXPECT_NE(parseError(std::string("\"a\0b\"", 5)).find("control character"),
            std::string::npos);
  EXPECT_EQ(parseError("{\"k\":1,\"k\":2}"), "duplicate key 'k' at byte 7");
}

TEST(Json, DepthIsBounded) {
  std::string ok = std::string(64, '[') + std::string(64, ']');
  parsed(ok);
  std::string deep = std::string(65, '[') + std::string(65, ']');
  EXPECT_EQ(parseError(deep), "nesting deeper than 64 at byte 64");
  std::string veryDeep(100000, '[');
  EXPECT_NE(parseError(veryDeep).find("nesting deeper"), std::string::npos);
}

TEST(Json, QuoteShowsUnprintableBytes) {
  EXPECT_EQ(quote("fc.weight"), "'fc.weight'");
  EXPECT_EQ(quote("a\nb\xff\x7f"), "'a\\x0ab\\xff\\x7f'");
  EXPECT_EQ(quote("\xc3\xa9"), "'\xc3\xa9'");
}

TEST(Json, Utf8Validation) {
  EXPECT_TRUE(isValidUtf8(""));
  EXPECT_TRUE(isValidUtf8("ascii \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_TRUE(isValidUtf8("\xf4\x8f\xbf\xbf")); // U+10FFFF
  EXPECT_FALSE(isValidUtf8("\x80"));
  EXPECT_FALSE(isValidUtf8("\xc1\xbf"));         // overlong
  EXPECT_FALSE(isValidUtf8("\xe0\x9f\xbf"));     // overlong
  EXPECT_FALSE(isValidUtf8("\xed\xbf\xbf"));     // surrogate
  EXPECT_FALSE(isValidUtf8("\xf4\x90\x80\x80")); // above U+10FFFF
  EXPECT_FALSE(isValidUtf8("\xe2\x82"));         // truncated
}

TEST(Json, AppendStringEscapesLikeSerdeJson) {
  std::string out;
  appendString(out, "a\"\\/\b\f\n\r\t\x01\x1f\x7f\xc3\xa9");
  EXPECT_EQ(out, "\"a\\\"\\\\/\\b\\f\\n\\r\\t\\u0001\\u001f\x7f\xc3\xa9\"");
  // And it parses back to the same text.
  Value v = parsed(out);
  EXPECT_EQ(v.text, "a\"\\/\b\f\n\r\t\x01\x1f\x7f\xc3\xa9");
}

} // namespace
} // namespace json
} // namespace resc
