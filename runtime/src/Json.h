//===- Json.h - A small strict JSON parser ----------------------*- C++ -*-===//
//
// Just enough JSON for safetensors headers, which come from untrusted files:
// RFC 8259 only (no comments, no trailing commas, no NaN), UTF-8 validated,
// duplicate object keys rejected, nesting depth bounded so hostile input
// cannot exhaust the stack. Errors name the byte offset of the problem.
//
//===----------------------------------------------------------------------===//
#ifndef RESC_RUNTIME_JSON_H
#define RESC_RUNTIME_JSON_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace resc {
namespace json {

struct Value {
  enum class Kind { Null, Bool, Number, String, Array, Object };

  Kind kind = Kind::Null;
  bool boolean = false;
  /// The decoded UTF-8 of a string, or a number's literal exactly as written
  /// (so integers are never rounded through double).
  std::string text;
  /// Array elements, or object member values in file order.
  std::vector<Value> items;
  /// Object member keys, parallel to `items`.
  std::vector<std::string> keys;

  /// The member named `key` of an object, or nullptr.
  const Value *find(const std::string &key) const;
};

/// How a number literal reads as an integer.
enum class IntStatus { Ok, NotInteger, Negative, TooLarge };

/// Reads a Number as a non-negative int64 ("1.0", "1e3" are NotInteger).
IntStatus toNonNegativeInt(const Value &number, int64_t &out);

/// Parses exactly one JSON value spanning `size` bytes (surrounding
/// whitespace allowed). Nesting deeper than `maxDepth` is an error.
bool parse(const char *data, size_t size, Value &out, std::string &error,
           unsigned maxDepth = 64);

/// `text` in single quotes with control characters and invalid UTF-8 shown as
/// \xNN, for error messages about names read from files.
std::string quote(const std::string &text);

/// Checks that `text` is well-formed UTF-8 (no overlongs, no surrogates).
bool isValidUtf8(const std::string &text);

/// Appends `text` as a JSON string literal, escaping like serde_json (which
/// writes the reference safetensors files): \" \\ \b \f \n \r \t, \u00xx for
/// other control characters, everything else as is.
void appendString(std::string &out, const std::string &text);

} // namespace json
} // namespace resc

#endif
