// The `expected.txt` of a corpus of bad inputs (tests/bad, tests/hostile):
// one "FILE: MESSAGE" line per file; blank lines and '#' comments are
// skipped. Shared by the tests that load each file and check its error.
#ifndef RESC_TESTS_EXPECTEDMESSAGES_H
#define RESC_TESTS_EXPECTEDMESSAGES_H

#include <fstream>
#include <map>
#include <string>

namespace res::test {

inline std::map<std::string, std::string>
readExpectedMessages(const std::string &path) {
  std::map<std::string, std::string> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    auto colon = line.find(": ");
    if (line.empty() || line[0] == '#' || colon == std::string::npos)
      continue;
    out[line.substr(0, colon)] = line.substr(colon + 2);
  }
  return out;
}

} // namespace res::test

#endif
