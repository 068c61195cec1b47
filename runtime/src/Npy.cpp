//===- Npy.cpp - Reading and writing NumPy .npy files ---------------------===//
//
// A .npy file is the magic "\x93NUMPY", a version, a little-endian header
// length (2 bytes in version 1.0, 4 in 2.0 and 3.0), a Python dict literal
// such as {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } padded
// with spaces and a newline, then the raw data. numpy reads the dict with
// ast.literal_eval; we accept the subset that describes an f32 array and
// nothing else, and check the data's size before allocating.
//
//===----------------------------------------------------------------------===//

#include "resc/Npy.h"

#include "Bytes.h"

#include <cctype>
#include <cstring>
#include <limits>

namespace resc {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;
/// numpy pads the header so the data starts at a multiple of this.
constexpr size_t kArrayAlign = 64;
/// numpy leaves room for the first axis to grow to this many digits.
constexpr size_t kGrowthAxisMaxDigits = 21;

/// What the header dict says.
struct Header {
  bool hasDescr = false, hasFortranOrder = false, hasShape = false;
  std::string descr;
  bool fortranOrder = false;
  std::vector<int64_t> shape;
};

/// Parses the header dict. Errors say what was expected and where.
class HeaderParser {
public:
  HeaderParser(const char *text, size_t size, bool allowLongSuffix)
      : begin(text), pos(text), end(text + size),
        allowLongSuffix(allowLongSuffix) {}

  bool parse(Header &header, std::string &problem) {
    if (parseDict(header))
      return true;
    if (located)
      problem = "malformed header: " + message + " at byte " +
                std::to_string(pos - begin) + " of the header";
    else
      problem = "header: " + message;
    return false;
  }

private:
  const char *begin, *pos, *end;
  bool allowLongSuffix;
  std::string message;
  bool located = true;

  /// A syntax error: the message says where.
  bool fail(const std::string &text) {
    message = text;
    return false;
  }

  /// Well-formed but wrong (a missing key, a negative dimension): the text
  /// alone says what is wrong.
  bool failValue(const std::string &text) {
    located = false;
    return fail(text);
  }

  std::string describeHere() const {
    if (pos == end)
      return "end of header";
    unsigned char c = static_cast<unsigned char>(*pos);
    if (c >= 0x20 && c < 0x7F)
      return std::string("'") + *pos + "'";
    const char *digits = "0123456789abcdef";
    return std::string("byte 0x") + digits[c >> 4] + digits[c & 15];
  }

  void skipWhitespace() {
    while (pos != end &&
           (*pos == ' ' || *pos == '\t' || *pos == '\n' || *pos == '\r'))
      ++pos;
  }

  bool consume(char c) {
    if (pos != end && *pos == c) {
      ++pos;
      return true;
    }
    return false;
  }

  bool consumeWord(const char *word) {
    const char *save = pos;
    for (const char *w = word; *w; ++w) {
      if (!consume(*w)) {
        pos = save;
        return false;
      }
    }
    // "Trueish" is a name, not the literal True.
    if (pos != end &&
        (std::isalnum(static_cast<unsigned char>(*pos)) || *pos == '_')) {
      pos = save;
      return false;
    }
    return true;
  }

  bool parseString(std::string &out) {
    char quoteChar = *pos++;
    out.clear();
    for (;;) {
      if (pos == end || *pos == '\n')
        return fail("unterminated string");
      if (*pos == quoteChar) {
        ++pos;
        return true;
      }
      // numpy never writes escapes; refusing them keeps this parser small.
      if (*pos == '\\')
        return fail("escape sequences are not supported in header strings");
      unsigned char c = static_cast<unsigned char>(*pos);
      if (c < 0x20 || c >= 0x7F)
        return fail("unexpected " + describeHere() + " in a string");
      out += *pos++;
    }
  }

  bool parseDim(int64_t &out) {
    bool negative = consume('-');
    if (pos == end || !std::isdigit(static_cast<unsigned char>(*pos)))
      return fail("unexpected " + describeHere() +
                  ", expected an integer in 'shape'");
    const char *start = pos;
    int64_t value = 0;
    bool tooLarge = false;
    while (pos != end && std::isdigit(static_cast<unsigned char>(*pos))) {
      int digit = *pos++ - '0';
      if (value > (std::numeric_limits<int64_t>::max() - digit) / 10)
        tooLarge = true;
      else
        value = value * 10 + digit;
    }
    std::string digits(start, pos);
    if (digits.size() > 1 && digits[0] == '0')
      return failValue("'shape' dimension " + digits + " has a leading zero");
    // Python 2 wrote longs as 5L; numpy still reads such 1.0/2.0 headers.
    if (allowLongSuffix)
      consume('L');
    if (negative)
      return failValue("'shape' has a negative dimension -" + digits);
    if (tooLarge)
      return failValue("'shape' dimension " + digits + " is too large");
    out = value;
    return true;
  }

  bool parseShape(std::vector<int64_t> &shape) {
    if (!consume('('))
      return failValue("'shape' is not a tuple");
    skipWhitespace();
    if (consume(')'))
      return true;
    for (;;) {
      int64_t dim;
      if (!parseDim(dim))
        return false;
      shape.push_back(dim);
      skipWhitespace();
      if (consume(')')) {
        // In Python (5) is the integer 5; only (5,) is a tuple.
        if (shape.size() == 1)
          return failValue("'shape' (" + std::to_string(dim) +
                           ") is not a tuple; a 1-d shape is written (" +
                           std::to_string(dim) + ",)");
        return true;
      }
      if (!consume(','))
        return fail("unexpected " + describeHere() +
                    ", expected ',' or ')' in 'shape'");
      skipWhitespace();
      if (consume(')'))
        return true;
    }
  }

  bool parseValue(const std::string &key, Header &header) {
    if (key == "descr") {
      header.hasDescr = true;
      if (pos != end && *pos == '[')
        return failValue(
            "'descr' is a structured dtype (a list of fields); only "
            "'<f4' is supported");
      if (pos == end || (*pos != '\'' && *pos != '"'))
        return failValue("'descr' is not a string");
      return parseString(header.descr);
    }
    if (key == "fortran_order") {
      header.hasFortranOrder = true;
      if (consumeWord("True"))
        header.fortranOrder = true;
      else if (consumeWord("False"))
        header.fortranOrder = false;
      else
        return failValue("'fortran_order' is not True or False");
      return true;
    }
    if (key == "shape") {
      header.hasShape = true;
      return parseShape(header.shape);
    }
    return failValue("unexpected key '" + key +
                     "' (expected 'descr', 'fortran_order' and 'shape')");
  }

  bool parseDict(Header &header) {
    skipWhitespace();
    if (!consume('{'))
      return fail("unexpected " + describeHere() +
                  ", the header must be a dict starting with '{'");
    skipWhitespace();
    while (!consume('}')) {
      if (pos == end || (*pos != '\'' && *pos != '"'))
        return fail("unexpected " + describeHere() +
                    ", expected a quoted key or '}'");
      const char *keyStart = pos;
      std::string key;
      if (!parseString(key))
        return false;
      bool seen = (key == "descr" && header.hasDescr) ||
                  (key == "fortran_order" && header.hasFortranOrder) ||
                  (key == "shape" && header.hasShape);
      if (seen) {
        pos = keyStart;
        return fail("duplicate key '" + key + "'");
      }
      skipWhitespace();
      if (!consume(':'))
        return fail("unexpected " + describeHere() + ", expected ':' after '" +
                    key + "'");
      skipWhitespace();
      if (!parseValue(key, header))
        return false;
      skipWhitespace();
      if (consume(',')) {
        skipWhitespace();
        continue;
      }
      if (pos == end || *pos != '}')
        return fail("unexpected " + describeHere() +
                    ", expected ',' or '}' in the dict");
    }
    skipWhitespace();
    if (pos != end)
      return fail("unexpected " + describeHere() + " after the dict");
    for (const char *key : {"descr", "fortran_order", "shape"}) {
      bool present = key[0] == 'd'   ? header.hasDescr
                     : key[0] == 'f' ? header.hasFortranOrder
                                     : header.hasShape;
      if (!present)
        return failValue(std::string("missing key '") + key + "'");
    }
    return true;
  }
};

std::string shapeToPython(const std::vector<int64_t> &shape) {
  std::string text = "(";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + std::to_string(shape[i]);
  if (shape.size() == 1)
    text += ',';
  return text + ")";
}

} // namespace

bool readNpyFromMemory(const uint8_t *data, size_t size,
                       const std::string &name, Tensor &out,
                       std::string &error) {
  out = Tensor();
  auto fail = [&](const std::string &problem) {
    error = name + ": " + problem;
    return false;
  };

  if (size == 0)
    return fail("file is empty");
  if (size < kMagicSize || std::memcmp(data, kMagic, kMagicSize) != 0)
    return fail("not a .npy file (it does not start with \"\\x93NUMPY\")");
  if (size < kMagicSize + 2)
    return fail("file ends inside the format version");
  unsigned major = data[6], minor = data[7];
  if ((major != 1 && major != 2 && major != 3) || minor != 0)
    return fail(".npy format version " + std::to_string(major) + "." +
                std::to_string(minor) +
                " is not supported (only 1.0, 2.0 and 3.0)");
  size_t lengthSize = major == 1 ? 2 : 4;
  size_t prefix = kMagicSize + 2 + lengthSize;
  if (size < prefix)
    return fail("file ends inside the header length");
  uint64_t headerSize = detail::loadLE(data + 8, lengthSize);
  if (headerSize > size - prefix)
    return fail("header length " + std::to_string(headerSize) +
                " is larger than the rest of the file (" +
                std::to_string(size - prefix) + " bytes)");

  Header header;
  std::string problem;
  HeaderParser parser(reinterpret_cast<const char *>(data + prefix), headerSize,
                      /*allowLongSuffix=*/major < 3);
  if (!parser.parse(header, problem))
    return fail(problem);
  if (header.descr != "<f4")
    return fail("dtype '" + header.descr +
                "' is not supported; only '<f4' (little-endian float32) is");
  if (header.fortranOrder)
    return fail("fortran_order True (column-major data) is not supported; "
                "save a C-order array");

  std::string shapeText = shapeToPython(header.shape);
  int64_t count = checkedNumel(header.shape);
  if (count < 0 ||
      static_cast<uint64_t>(count) > std::numeric_limits<uint64_t>::max() / 4)
    return fail("shape " + shapeText +
                " is too large (its size overflows 64 bits)");
  uint64_t expected = static_cast<uint64_t>(count) * 4;
  uint64_t available = size - prefix - headerSize;
  if (available < expected)
    return fail("data is truncated: shape " + shapeText + " of '<f4' needs " +
                std::to_string(expected) + " bytes, the file has " +
                std::to_string(available));
  if (available > expected)
    return fail(std::to_string(available - expected) +
                " unexpected bytes after the data of shape " + shapeText);

  Tensor tensor;
  tensor.shape = header.shape;
  tensor.data.resize(static_cast<size_t>(count));
  detail::loadF32LE(tensor.data.data(), data + prefix + headerSize,
                    tensor.data.size());
  out = std::move(tensor);
  return true;
}

bool readNpy(const std::string &path, Tensor &out, std::string &error) {
  out = Tensor();
  std::vector<uint8_t> bytes;
  if (!detail::readWholeFile(path, bytes, error))
    return false;
  return readNpyFromMemory(bytes.data(), bytes.size(), path, out, error);
}

bool serializeNpy(const Tensor &tensor, std::vector<uint8_t> &bytes,
                  std::string &error) {
  bytes.clear();
  int64_t count = checkedNumel(tensor.shape);
  if (count < 0 || static_cast<uint64_t>(count) != tensor.data.size()) {
    error = "shape " + shapeToString(tensor.shape) + " does not match its " +
            std::to_string(tensor.data.size()) + " values";
    return false;
  }
  // Byte for byte what numpy.save writes (numpy/lib/format.py): sorted keys,
  // repr of each value, spare room for the first axis to grow, then spaces
  // and a newline up to the next multiple of 64 -- a full 64 spaces when
  // already aligned, as numpy's formula gives.
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " +
                       shapeToPython(tensor.shape) + ", }";
  if (!tensor.shape.empty())
    header.append(kGrowthAxisMaxDigits - std::to_string(tensor.shape[0]).size(),
                  ' ');
  unsigned major = 1;
  size_t lengthSize = 2;
  size_t withNewline = header.size() + 1;
  size_t pad =
      kArrayAlign - (kMagicSize + 2 + lengthSize + withNewline) % kArrayAlign;
  if (withNewline + pad > 0xFFFF) {
    major = 2;
    lengthSize = 4;
    pad =
        kArrayAlign - (kMagicSize + 2 + lengthSize + withNewline) % kArrayAlign;
  }
  header.append(pad, ' ');
  header += '\n';

  bytes.insert(bytes.end(), kMagic, kMagic + kMagicSize);
  bytes.push_back(static_cast<uint8_t>(major));
  bytes.push_back(0);
  detail::appendLE(bytes, header.size(), lengthSize);
  bytes.insert(bytes.end(), header.begin(), header.end());
  detail::appendF32LE(bytes, tensor.data.data(), tensor.data.size());
  return true;
}

bool writeNpy(const std::string &path, const Tensor &tensor,
              std::string &error) {
  std::vector<uint8_t> bytes;
  if (!serializeNpy(tensor, bytes, error)) {
    error = path + ": " + error;
    return false;
  }
  return detail::writeWholeFile(path, bytes, error);
}

} // namespace resc
