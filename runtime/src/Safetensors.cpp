//===- Safetensors.cpp - Reading and writing safetensors files ------------===//
//
// The reader follows the rules of the reference implementation
// (huggingface/safetensors): the header is at most 100 MB of UTF-8 JSON, the
// tensors' byte ranges tile the data section exactly (no gaps, no overlap, no
// trailing bytes, which rules out polyglot files), and each range's size is
// the shape's element count times the dtype's width. It checks everything
// before it allocates, so a hostile file can neither read out of bounds nor
// make us allocate more than the file's own size.
//
//===----------------------------------------------------------------------===//

#include "resc/Safetensors.h"

#include "Bytes.h"
#include "Json.h"

#include <algorithm>
#include <cstring>
#include <limits>

namespace resc {

namespace {

/// Same limit as the reference reader: a larger header is certainly not a
/// weights file, and parsing it would only waste memory.
constexpr uint64_t kMaxHeaderSize = 100000000;

struct DtypeInfo {
  const char *name;
  unsigned bits;
};

/// Every dtype the reference implementation knows. We load only F32, but the
/// others' widths are needed to check that their ranges are consistent.
constexpr DtypeInfo kDtypes[] = {
    {"BOOL", 8}, {"F4", 4},      {"F6_E2M3", 6}, {"F6_E3M2", 6}, {"U8", 8},
    {"I8", 8},   {"F8_E5M2", 8}, {"F8_E4M3", 8}, {"F8_E8M0", 8}, {"I16", 16},
    {"U16", 16}, {"F16", 16},    {"BF16", 16},   {"I32", 32},    {"U32", 32},
    {"F32", 32}, {"C64", 64},    {"F64", 64},    {"I64", 64},    {"U64", 64},
};

const DtypeInfo *findDtype(const std::string &name) {
  for (const DtypeInfo &info : kDtypes)
    if (name == info.name)
      return &info;
  return nullptr;
}

struct Entry {
  std::string name;
  std::string dtype;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;
};

std::string offsetsToString(uint64_t begin, uint64_t end) {
  return "[" + std::to_string(begin) + ", " + std::to_string(end) + "]";
}

/// Reads a JSON array of non-negative integers; `what` names it in messages.
bool readIntArray(const json::Value &value, const char *what,
                  std::vector<int64_t> &out, std::string &problem) {
  if (value.kind != json::Value::Kind::Array) {
    problem = std::string("'") + what + "' is not an array";
    return false;
  }
  for (size_t i = 0; i < value.items.size(); ++i) {
    const json::Value &item = value.items[i];
    int64_t number = 0;
    switch (json::toNonNegativeInt(item, number)) {
    case json::IntStatus::Ok:
      out.push_back(number);
      continue;
    case json::IntStatus::NotInteger:
      problem = std::string("'") + what + "' element " + std::to_string(i) +
                " is not an integer" +
                (item.kind == json::Value::Kind::Number ? " (" + item.text + ")"
                                                        : "");
      return false;
    case json::IntStatus::Negative:
      problem = std::string("'") + what + "' element " + std::to_string(i) +
                " is negative (" + item.text + ")";
      return false;
    case json::IntStatus::TooLarge:
      problem = std::string("'") + what + "' element " + std::to_string(i) +
                " is too large (" + item.text + ")";
      return false;
    }
  }
  return true;
}

/// Checks one header entry on its own; `problem` gets the message without
/// the "FILE: tensor 'NAME': " prefix.
bool parseEntry(const json::Value &value, uint64_t dataSize, Entry &entry,
                std::string &problem) {
  if (value.kind != json::Value::Kind::Object) {
    problem = "entry is not an object";
    return false;
  }
  for (const std::string &key : value.keys) {
    if (key != "dtype" && key != "shape" && key != "data_offsets") {
      problem = "unexpected field " + json::quote(key);
      return false;
    }
  }
  for (const char *field : {"dtype", "shape", "data_offsets"}) {
    if (!value.find(field)) {
      problem = std::string("missing field '") + field + "'";
      return false;
    }
  }

  const json::Value &dtype = *value.find("dtype");
  if (dtype.kind != json::Value::Kind::String) {
    problem = "'dtype' is not a string";
    return false;
  }
  const DtypeInfo *info = findDtype(dtype.text);
  if (!info) {
    problem = "unknown dtype " + json::quote(dtype.text);
    return false;
  }
  entry.dtype = dtype.text;

  if (!readIntArray(*value.find("shape"), "shape", entry.shape, problem))
    return false;

  std::vector<int64_t> offsets;
  if (!readIntArray(*value.find("data_offsets"), "data_offsets", offsets,
                    problem))
    return false;
  if (offsets.size() != 2) {
    problem = "'data_offsets' must hold 2 numbers [begin, end], not " +
              std::to_string(offsets.size());
    return false;
  }
  entry.begin = static_cast<uint64_t>(offsets[0]);
  entry.end = static_cast<uint64_t>(offsets[1]);
  std::string offsetsText = offsetsToString(entry.begin, entry.end);
  if (entry.begin > entry.end) {
    problem = "data_offsets " + offsetsText + " begin after they end";
    return false;
  }
  if (entry.end > dataSize) {
    problem = "data_offsets " + offsetsText + " go past the end of the " +
              std::to_string(dataSize) +
              "-byte data section (is the file truncated?)";
    return false;
  }

  std::string shapeText = shapeToString(entry.shape);
  int64_t count = checkedNumel(entry.shape);
  if (count < 0 || static_cast<uint64_t>(count) >
                       std::numeric_limits<uint64_t>::max() / info->bits) {
    problem = "shape " + shapeText + " of " + entry.dtype +
              " is too large (its size overflows 64 bits)";
    return false;
  }
  uint64_t bits = static_cast<uint64_t>(count) * info->bits;
  if (bits % 8 != 0) {
    problem = "shape " + shapeText + " of " + entry.dtype + " is " +
              std::to_string(bits) + " bits, not a whole number of bytes";
    return false;
  }
  if (entry.end - entry.begin != bits / 8) {
    problem = "data_offsets " + offsetsText + " do not match shape " +
              shapeText + " of " + entry.dtype + " (" +
              std::to_string(bits / 8) + " bytes)";
    return false;
  }
  return true;
}

bool checkMetadata(const json::Value &value, std::string &problem) {
  // The reference reads "__metadata__" as an optional map of strings.
  if (value.kind == json::Value::Kind::Null)
    return true;
  if (value.kind != json::Value::Kind::Object) {
    problem = "'__metadata__' is not an object";
    return false;
  }
  for (size_t i = 0; i < value.keys.size(); ++i) {
    if (value.items[i].kind != json::Value::Kind::String) {
      problem = "'__metadata__' value for " + json::quote(value.keys[i]) +
                " is not a string";
      return false;
    }
  }
  return true;
}

/// The tensors' byte ranges must tile [0, dataSize) exactly.
bool checkCoverage(std::vector<Entry> &entries, uint64_t dataSize,
                   std::string &problem) {
  std::vector<const Entry *> order;
  for (const Entry &entry : entries)
    order.push_back(&entry);
  std::sort(order.begin(), order.end(), [](const Entry *a, const Entry *b) {
    if (a->begin != b->begin)
      return a->begin < b->begin;
    if (a->end != b->end)
      return a->end < b->end;
    return a->name < b->name;
  });
  uint64_t covered = 0;
  const Entry *previous = nullptr;
  for (const Entry *entry : order) {
    if (entry->begin < covered) {
      problem = "tensor " + json::quote(entry->name) + ": data_offsets " +
                offsetsToString(entry->begin, entry->end) +
                " overlap those of tensor " + json::quote(previous->name) +
                " " + offsetsToString(previous->begin, previous->end);
      return false;
    }
    if (entry->begin > covered) {
      problem = "data bytes [" + std::to_string(covered) + ", " +
                std::to_string(entry->begin) +
                ") belong to no tensor (the data must have no gaps)";
      return false;
    }
    covered = entry->end;
    previous = entry;
  }
  if (covered != dataSize) {
    problem = "data bytes [" + std::to_string(covered) + ", " +
              std::to_string(dataSize) + ") " +
              (order.empty() ? "belong to no tensor (the header lists none)"
                             : "after the last tensor belong to no tensor");
    return false;
  }
  return true;
}

} // namespace

bool readSafetensorsFromMemory(const uint8_t *data, size_t size,
                               const std::string &name, TensorMap &out,
                               std::map<std::string, std::string> &otherDtypes,
                               std::string &error) {
  out.clear();
  otherDtypes.clear();
  auto fail = [&](const std::string &problem) {
    error = name + ": " + problem;
    return false;
  };

  if (size == 0)
    return fail("file is empty");
  if (size < 8)
    return fail("file is " + std::to_string(size) +
                " bytes, too short for the 8-byte header length");
  uint64_t headerSize = detail::loadLE(data, 8);
  // Files of other formats: their first bytes read as a header length that
  // does not fit; name the format rather than the length.
  auto startsWith = [&](const char *magic, size_t n) {
    return size >= n && std::memcmp(data, magic, n) == 0;
  };
  if (headerSize > kMaxHeaderSize || headerSize > size - 8) {
    if (startsWith("\x93NUMPY", 6))
      return fail("not a safetensors file (it looks like .npy, NumPy's "
                  "format): weights are read from safetensors");
    if (startsWith("PK\x03\x04", 4))
      return fail("not a safetensors file (it looks like a zip archive, as "
                  "torch.save writes a .pth): save the state_dict with "
                  "safetensors.torch.save_file");
    if (data[0] == 0x80 && data[1] >= 2 && data[1] <= 5)
      return fail("not a safetensors file (it looks like a Python pickle, "
                  "as an old torch.save writes): save the state_dict with "
                  "safetensors.torch.save_file");
  }
  if (headerSize > kMaxHeaderSize)
    return fail("header length " + std::to_string(headerSize) +
                " exceeds the limit of " + std::to_string(kMaxHeaderSize) +
                " bytes");
  if (headerSize > size - 8)
    return fail("header length " + std::to_string(headerSize) +
                " is larger than the rest of the file (" +
                std::to_string(size - 8) + " bytes)");
  if (headerSize == 0)
    return fail("header length is 0");

  const char *header = reinterpret_cast<const char *>(data + 8);
  if (header[0] != '{')
    return fail("header does not start with '{'");
  json::Value root;
  std::string jsonError;
  if (!json::parse(header, headerSize, root, jsonError))
    return fail("header is not valid JSON: " + jsonError);
  if (root.kind != json::Value::Kind::Object)
    return fail("header is not a JSON object");

  const uint8_t *section = data + 8 + headerSize;
  uint64_t dataSize = size - 8 - headerSize;
  std::vector<Entry> entries;
  std::string problem;
  for (size_t i = 0; i < root.keys.size(); ++i) {
    const std::string &key = root.keys[i];
    if (key == "__metadata__") {
      if (!checkMetadata(root.items[i], problem))
        return fail(problem);
      continue;
    }
    Entry entry;
    entry.name = key;
    if (!parseEntry(root.items[i], dataSize, entry, problem))
      return fail("tensor " + json::quote(key) + ": " + problem);
    entries.push_back(std::move(entry));
  }
  if (!checkCoverage(entries, dataSize, problem))
    return fail(problem);

  // Everything is consistent and in bounds; only now allocate and copy.
  TensorMap tensors;
  std::map<std::string, std::string> others;
  for (const Entry &entry : entries) {
    if (entry.dtype != "F32") {
      others[entry.name] = entry.dtype;
      continue;
    }
    Tensor &tensor = tensors[entry.name];
    tensor.shape = entry.shape;
    tensor.data.resize((entry.end - entry.begin) / 4);
    detail::loadF32LE(tensor.data.data(), section + entry.begin,
                      tensor.data.size());
  }
  out.swap(tensors);
  otherDtypes.swap(others);
  return true;
}

bool readSafetensors(const std::string &path, TensorMap &out,
                     std::map<std::string, std::string> &otherDtypes,
                     std::string &error) {
  out.clear();
  otherDtypes.clear();
  std::vector<uint8_t> bytes;
  if (!detail::readWholeFile(path, bytes, error))
    return false;
  return readSafetensorsFromMemory(bytes.data(), bytes.size(), path, out,
                                   otherDtypes, error);
}

bool serializeSafetensors(const TensorMap &tensors, std::vector<uint8_t> &bytes,
                          std::string &error) {
  bytes.clear();
  // All tensors are F32, so the reference order (by dtype, then name) is the
  // map's name order, and the header lists them in the same order.
  std::string header = "{";
  uint64_t offset = 0;
  for (const auto &[name, tensor] : tensors) {
    std::string prefix = "tensor " + json::quote(name) + ": ";
    if (name == "__metadata__") {
      error = prefix + "the name is reserved for the header's metadata";
      return false;
    }
    if (!json::isValidUtf8(name)) {
      error = prefix + "the name is not valid UTF-8";
      return false;
    }
    int64_t count = checkedNumel(tensor.shape);
    if (count < 0 || static_cast<uint64_t>(count) != tensor.data.size()) {
      error = prefix + "shape " + shapeToString(tensor.shape) +
              " does not match its " + std::to_string(tensor.data.size()) +
              " values";
      return false;
    }
    if (header.size() > 1)
      header += ',';
    json::appendString(header, name);
    header += ":{\"dtype\":\"F32\",\"shape\":[";
    for (size_t i = 0; i < tensor.shape.size(); ++i)
      header += (i ? "," : "") + std::to_string(tensor.shape[i]);
    uint64_t end = offset + 4 * static_cast<uint64_t>(count);
    header += "],\"data_offsets\":[" + std::to_string(offset) + "," +
              std::to_string(end) + "]}";
    offset = end;
  }
  header += '}';
  // Spaces (JSON whitespace) pad the header so the data starts 8-aligned.
  header.append((8 - header.size() % 8) % 8, ' ');

  bytes.reserve(8 + header.size() + offset);
  detail::appendLE(bytes, header.size(), 8);
  bytes.insert(bytes.end(), header.begin(), header.end());
  for (const auto &entry : tensors)
    detail::appendF32LE(bytes, entry.second.data.data(),
                        entry.second.data.size());
  return true;
}

bool writeSafetensors(const std::string &path, const TensorMap &tensors,
                      std::string &error) {
  std::vector<uint8_t> bytes;
  if (!serializeSafetensors(tensors, bytes, error)) {
    error = path + ": " + error;
    return false;
  }
  return detail::writeWholeFile(path, bytes, error);
}

} // namespace resc
