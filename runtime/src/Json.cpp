//===- Json.cpp - A small strict JSON parser ------------------------------===//

#include "Json.h"

#include <set>

namespace resc {
namespace json {

namespace {

/// Length of the well-formed UTF-8 sequence starting at `p` (at most `avail`
/// bytes), or 0 if it is malformed, overlong, a surrogate or above U+10FFFF.
size_t utf8SequenceLength(const unsigned char *p, size_t avail) {
  unsigned char lead = p[0];
  if (lead < 0x80)
    return 1;
  size_t length;
  unsigned char lo = 0x80, hi = 0xBF; // allowed range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0)
      lo = 0xA0; // overlong below U+0800
    if (lead == 0xED)
      hi = 0x9F; // U+D800..U+DFFF are surrogates, not characters
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0)
      lo = 0x90; // overlong below U+10000
    if (lead == 0xF4)
      hi = 0x8F; // above U+10FFFF
  } else {
    return 0;
  }
  if (avail < length || p[1] < lo || p[1] > hi)
    return 0;
  for (size_t i = 2; i < length; ++i)
    if (p[i] < 0x80 || p[i] > 0xBF)
      return 0;
  return length;
}

void appendUtf8(std::string &out, uint32_t code) {
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xC0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xE0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  }
}

std::string hexByte(unsigned char byte) {
  const char *digits = "0123456789abcdef";
  std::string text = "0x";
  text += digits[byte >> 4];
  text += digits[byte & 15];
  return text;
}

class Parser {
public:
  Parser(const char *data, size_t size, unsigned maxDepth, std::string &error)
      : begin(reinterpret_cast<const unsigned char *>(data)), pos(begin),
        end(begin + size), maxDepth(maxDepth), error(error) {}

  bool parseDocument(Value &out) {
    skipWhitespace();
    if (!parseValue(out, 1))
      return false;
    skipWhitespace();
    if (pos != end)
      return fail("unexpected " + describeHere() + " after the JSON value");
    return true;
  }

private:
  const unsigned char *begin, *pos, *end;
  unsigned maxDepth;
  std::string &error;

  bool fail(const std::string &message) {
    error = message + " at byte " + std::to_string(pos - begin);
    return false;
  }

  std::string describeHere() const {
    if (pos == end)
      return "end of input";
    if (*pos >= 0x20 && *pos < 0x7F)
      return std::string("'") + static_cast<char>(*pos) + "'";
    return "byte " + hexByte(*pos);
  }

  void skipWhitespace() {
    while (pos != end &&
           (*pos == ' ' || *pos == '\t' || *pos == '\n' || *pos == '\r'))
      ++pos;
  }

  bool consume(char c) {
    if (pos != end && *pos == static_cast<unsigned char>(c)) {
      ++pos;
      return true;
    }
    return false;
  }

  bool parseValue(Value &out, unsigned depth) {
    if (pos == end)
      return fail("unexpected end of input, expected a value");
    switch (*pos) {
    case '{':
    case '[':
      // Only containers nest, so only they count towards the depth bound.
      if (depth > maxDepth)
        return fail("nesting deeper than " + std::to_string(maxDepth));
      return *pos == '{' ? parseObject(out, depth) : parseArray(out, depth);
    case '"':
      out.kind = Value::Kind::String;
      return parseString(out.text);
    case 't':
      return parseLiteral("true", out, Value::Kind::Bool, true);
    case 'f':
      return parseLiteral("false", out, Value::Kind::Bool, false);
    case 'n':
      return parseLiteral("null", out, Value::Kind::Null, false);
    default:
      if (*pos == '-' || (*pos >= '0' && *pos <= '9')) {
        out.kind = Value::Kind::Number;
        return parseNumber(out.text);
      }
      return fail("unexpected " + describeHere() + ", expected a value");
    }
  }

  bool parseLiteral(const char *word, Value &out, Value::Kind kind,
                    bool boolean) {
    for (const char *w = word; *w; ++w)
      if (!consume(*w))
        return fail(std::string("invalid literal, expected '") + word + "'");
    out.kind = kind;
    out.boolean = boolean;
    return true;
  }

  bool parseObject(Value &out, unsigned depth) {
    out.kind = Value::Kind::Object;
    ++pos; // '{'
    skipWhitespace();
    if (consume('}'))
      return true;
    std::set<std::string> seen;
    for (;;) {
      if (pos == end || *pos != '"')
        return fail("unexpected " + describeHere() +
                    ", expected a string as object key");
      const unsigned char *keyStart = pos;
      std::string key;
      if (!parseString(key))
        return false;
      if (!seen.insert(key).second) {
        pos = keyStart;
        return fail("duplicate key " + quote(key));
      }
      skipWhitespace();
      if (!consume(':'))
        return fail("unexpected " + describeHere() +
                    ", expected ':' after an object key");
      skipWhitespace();
      out.keys.push_back(std::move(key));
      out.items.emplace_back();
      if (!parseValue(out.items.back(), depth + 1))
        return false;
      skipWhitespace();
      if (consume('}'))
        return true;
      if (!consume(','))
        return fail("unexpected " + describeHere() +
                    ", expected ',' or '}' in an object");
      skipWhitespace();
    }
  }

  bool parseArray(Value &out, unsigned depth) {
    out.kind = Value::Kind::Array;
    ++pos; // '['
    skipWhitespace();
    if (consume(']'))
      return true;
    for (;;) {
      out.items.emplace_back();
      if (!parseValue(out.items.back(), depth + 1))
        return false;
      skipWhitespace();
      if (consume(']'))
        return true;
      if (!consume(','))
        return fail("unexpected " + describeHere() +
                    ", expected ',' or ']' in an array");
      skipWhitespace();
    }
  }

  bool parseHex4(uint32_t &code) {
    code = 0;
    for (int i = 0; i < 4; ++i, ++pos) {
      if (pos == end)
        return fail("unexpected end of input in a \\u escape");
      unsigned char c = *pos;
      uint32_t digit;
      if (c >= '0' && c <= '9')
        digit = c - '0';
      else if (c >= 'a' && c <= 'f')
        digit = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        digit = c - 'A' + 10;
      else
        return fail("invalid hex digit in a \\u escape");
      code = code * 16 + digit;
    }
    return true;
  }

  bool parseEscape(std::string &out) {
    ++pos; // '\\'
    if (pos == end)
      return fail("unexpected end of input in an escape");
    unsigned char c = *pos++;
    switch (c) {
    case '"':
    case '\\':
    case '/':
      out += static_cast<char>(c);
      return true;
    case 'b':
      out += '\b';
      return true;
    case 'f':
      out += '\f';
      return true;
    case 'n':
      out += '\n';
      return true;
    case 'r':
      out += '\r';
      return true;
    case 't':
      out += '\t';
      return true;
    case 'u':
      break;
    default:
      --pos;
      return fail("invalid escape '\\" + std::string(1, static_cast<char>(c)) +
                  "'");
    }
    uint32_t code;
    if (!parseHex4(code))
      return false;
    if (code >= 0xDC00 && code <= 0xDFFF)
      return fail("lone low surrogate in a \\u escape");
    if (code >= 0xD800 && code <= 0xDBFF) {
      // Strings must stay valid UTF-8, so a high surrogate needs its pair.
      uint32_t low;
      if (!consume('\\') || !consume('u'))
        return fail("lone high surrogate in a \\u escape");
      if (!parseHex4(low))
        return false;
      if (low < 0xDC00 || low > 0xDFFF)
        return fail("high surrogate not followed by a low surrogate");
      code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
    }
    appendUtf8(out, code);
    return true;
  }

  bool parseString(std::string &out) {
    ++pos; // '"'
    out.clear();
    for (;;) {
      if (pos == end)
        return fail("unterminated string");
      unsigned char c = *pos;
      if (c == '"') {
        ++pos;
        return true;
      }
      if (c == '\\') {
        if (!parseEscape(out))
          return false;
        continue;
      }
      if (c < 0x20)
        return fail("unescaped control character " + hexByte(c) +
                    " in a string");
      size_t length = utf8SequenceLength(pos, end - pos);
      if (length == 0)
        return fail("invalid UTF-8 (byte " + hexByte(c) + ") in a string");
      out.append(reinterpret_cast<const char *>(pos), length);
      pos += length;
    }
  }

  bool isDigit() const { return pos != end && *pos >= '0' && *pos <= '9'; }

  bool parseNumber(std::string &out) {
    const unsigned char *start = pos;
    consume('-');
    if (!isDigit())
      return fail("invalid number, expected a digit");
    if (consume('0')) {
      if (isDigit())
        return fail("invalid number, leading zeros are not allowed");
    } else {
      while (isDigit())
        ++pos;
    }
    if (consume('.')) {
      if (!isDigit())
        return fail("invalid number, expected a digit after '.'");
      while (isDigit())
        ++pos;
    }
    if (consume('e') || consume('E')) {
      if (!consume('+'))
        consume('-');
      if (!isDigit())
        return fail("invalid number, expected a digit in the exponent");
      while (isDigit())
        ++pos;
    }
    out.assign(reinterpret_cast<const char *>(start), pos - start);
    return true;
  }
};

} // namespace

const Value *Value::find(const std::string &key) const {
  for (size_t i = 0; i < keys.size(); ++i)
    if (keys[i] == key)
      return &items[i];
  return nullptr;
}

IntStatus toNonNegativeInt(const Value &number, int64_t &out) {
  const std::string &text = number.text;
  if (number.kind != Value::Kind::Number ||
      text.find_first_of(".eE") != std::string::npos)
    return IntStatus::NotInteger;
  if (!text.empty() && text[0] == '-')
    return IntStatus::Negative;
  int64_t value = 0;
  for (char c : text) {
    int digit = c - '0';
    if (value > (INT64_MAX - digit) / 10)
      return IntStatus::TooLarge;
    value = value * 10 + digit;
  }
  out = value;
  return IntStatus::Ok;
}

bool parse(const char *data, size_t size, Value &out, std::string &error,
           unsigned maxDepth) {
  out = Value();
  Parser parser(data, size, maxDepth, error);
  return parser.parseDocument(out);
}

std::string quote(const std::string &text) {
  std::string out = "'";
  const auto *p = reinterpret_cast<const unsigned char *>(text.data());
  size_t size = text.size();
  for (size_t i = 0; i < size;) {
    unsigned char c = p[i];
    size_t length = utf8SequenceLength(p + i, size - i);
    if (c >= 0x20 && c != 0x7F && length != 0) {
      out.append(text, i, length);
      i += length;
    } else {
      out += "\\x";
      out += hexByte(c).substr(2);
      ++i;
    }
  }
  return out + "'";
}

bool isValidUtf8(const std::string &text) {
  const auto *p = reinterpret_cast<const unsigned char *>(text.data());
  for (size_t i = 0, size = text.size(); i < size;) {
    size_t length = utf8SequenceLength(p + i, size - i);
    if (length == 0)
      return false;
    i += length;
  }
  return true;
}

void appendString(std::string &out, const std::string &text) {
  out += '"';
  for (char ch : text) {
    unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\b':
      out += "\\b";
      break;
    case '\f':
      out += "\\f";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      if (c < 0x20)
        out += "\\u00" + hexByte(c).substr(2);
      else
        out += ch;
    }
  }
  out += '"';
}

} // namespace json
} // namespace resc
