//===- Bytes.cpp - Whole-file I/O -----------------------------------------===//

#include "Bytes.h"

#include <cerrno>
#include <cstdio>

namespace resc {
namespace detail {

bool readWholeFile(const std::string &path, std::vector<uint8_t> &bytes,
                   std::string &error) {
  bytes.clear();
  std::FILE *file = std::fopen(path.c_str(), "rb");
  if (!file) {
    error = path + ": cannot open for reading: " + std::strerror(errno);
    return false;
  }
  // Read in chunks rather than trusting a size from fseek/ftell, which does
  // not exist for pipes and can change under us.
  std::vector<uint8_t> chunk(1 << 20);
  for (;;) {
    size_t got = std::fread(chunk.data(), 1, chunk.size(), file);
    bytes.insert(bytes.end(), chunk.begin(), chunk.begin() + got);
    if (got < chunk.size())
      break;
  }
  bool failed = std::ferror(file) != 0;
  int savedErrno = errno;
  std::fclose(file);
  if (failed) {
    error = path + ": cannot read: " + std::strerror(savedErrno);
    bytes.clear();
    return false;
  }
  return true;
}

bool writeWholeFile(const std::string &path, const std::vector<uint8_t> &bytes,
                    std::string &error) {
  std::FILE *file = std::fopen(path.c_str(), "wb");
  if (!file) {
    error = path + ": cannot open for writing: " + std::strerror(errno);
    return false;
  }
  size_t written =
      bytes.empty() ? 0 : std::fwrite(bytes.data(), 1, bytes.size(), file);
  int savedErrno = errno;
  bool ok = written == bytes.size();
  if (std::fclose(file) != 0 && ok) {
    ok = false;
    savedErrno = errno;
  }
  if (!ok) {
    error = path + ": cannot write: " + std::strerror(savedErrno);
    std::remove(path.c_str());
    return false;
  }
  return true;
}

} // namespace detail
} // namespace resc
