// Every file of tests/bad must fail to check with a located error, the
// source line and a caret, and the message that tests/bad/expected.txt
// names. Runs in process so the sanitizer build covers the frontend.
#include "FrontendTestUtil.h"
#include "tests/ExpectedMessages.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>

namespace fs = std::filesystem;
using namespace res::test;

namespace {

const std::string kBadDir = RESC_SOURCE_DIR "/tests/bad";

std::map<std::string, std::string> expectations() {
  return res::test::readExpectedMessages(kBadDir + "/expected.txt");
}

void expectLocatedError(const Compiled &c, const std::string &file,
                        const std::string &substring) {
  EXPECT_FALSE(c.ok()) << file << " was accepted";
  std::regex head("(^|\n)" +
                  std::regex_replace(file, std::regex("\\."), "\\.") +
                  ":[0-9]+:[0-9]+: error: [^\n]+\n  [^\n]*\n *\\^");
  EXPECT_TRUE(std::regex_search(c.diagnostics, head))
      << file << ": no 'file:line:col: error:' with source line and caret "
      << "in:\n"
      << c.diagnostics.substr(0, 2000);
  EXPECT_NE(c.diagnostics.find(substring), std::string::npos)
      << file << ": expected '" << substring << "' in:\n"
      << c.diagnostics.substr(0, 2000);
}

} // namespace

TEST(BadInput, CorpusHasAnExpectationPerFile) {
  auto expected = expectations();
  size_t files = 0;
  for (auto &entry : fs::directory_iterator(kBadDir))
    if (entry.path().extension() == ".res") {
      ++files;
      EXPECT_TRUE(expected.count(entry.path().filename().string()))
          << entry.path().filename() << " has no line in expected.txt";
    }
  EXPECT_GE(files, 30u);
  for (auto &[file, _] : expected)
    EXPECT_TRUE(fs::exists(kBadDir + "/" + file)) << file << " is missing";
}

TEST(BadInput, EveryFileFailsWithItsMessage) {
  for (auto &[file, substring] : expectations()) {
    SCOPED_TRACE(file);
    Compiled c = compileFile(kBadDir + "/" + file);
    expectLocatedError(c, file, substring);
  }
}

TEST(BadInput, TenMegabyteLineIsRefusedBriefly) {
  std::string text = "model m {\n  input x: f32[N, 3, 8, 8]\n  relu";
  text += std::string(10 << 20, ' ');
  text += "@\n}\n";
  Compiled c = compile(text, "long_line.res");
  expectLocatedError(c, "long_line.res", "unexpected character '@'");
  // The printed source line is cut to a window around the column.
  EXPECT_LT(c.diagnostics.size(), 1000u);
}

TEST(BadInput, EmptyFileHasNoModel) {
  Compiled c = compile("", "empty.res");
  EXPECT_FALSE(c.ok());
  EXPECT_NE(c.diagnostics.find("empty.res:1:1: error: the file defines no "
                               "model"),
            std::string::npos)
      << c.diagnostics;
}

TEST(BadInput, ErrorsInsideDefinitionsPointBackAtTheUse) {
  Compiled c =
      compile("residual r(c) {\n  conv(c, 3) as conv1\n}\n"
              "model m {\n  input x: f32[N, 3, 8, 8]\n  r(0) as b\n}\n");
  EXPECT_FALSE(c.ok());
  EXPECT_NE(c.diagnostics.find("test.res:2:8: error: conv: 'out' must be "
                               "positive, got 0"),
            std::string::npos)
      << c.diagnostics;
  EXPECT_NE(c.diagnostics.find("test.res:6:3: note: in 'r', used here"),
            std::string::npos)
      << c.diagnostics;
}
