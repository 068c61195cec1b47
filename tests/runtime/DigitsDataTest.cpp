//===- DigitsDataTest.cpp - The training demo's digits and their reader ---===//
//
// The shipped data set (examples/train_digits/data/digits.csv) read by the
// demo's C reader, checked against the same file parsed here with C++
// streams; and corrupted copies, each rejected with the line and the fault.
//
//===----------------------------------------------------------------------===//

#include "digits_data.h"

#include <gtest/gtest.h>

#include <array>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

const char *shippedFile() { return RESC_DIGITS_CSV; }

std::vector<std::string> shippedLines() {
  std::ifstream in(shippedFile());
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

std::string joinLines(const std::vector<std::string> &lines) {
  std::string text;
  for (const std::string &line : lines)
    text += line + "\n";
  return text;
}

std::string writeTemp(const std::string &name, const std::string &text) {
  std::string path = testing::TempDir() + "resc_digits_" + name + ".csv";
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

// digits_load's result and message for the file at `path`.
struct Loaded {
  int status;
  std::string error;
  digits_data data;
};

Loaded load(const std::string &path) {
  Loaded result{0, "", {}};
  char error[256];
  result.status = digits_load(path.c_str(), &result.data, error, sizeof(error));
  result.error = error;
  return result;
}

TEST(DigitsData, ShippedFileMatchesAnIndependentParse) {
  Loaded loaded = load(shippedFile());
  ASSERT_EQ(loaded.status, 0) << loaded.error;
  const digits_data &data = loaded.data;
  EXPECT_EQ(data.train.count + data.test.count, 1797);
  EXPECT_EQ(data.train.count, 1438);
  EXPECT_EQ(data.test.count, 359);

  // Every image where the split puts it: position i in the file is test
  // image i / 5 when i % 5 == 4, else training image i - i / 5.
  std::vector<std::string> lines = shippedLines();
  ASSERT_EQ(lines.size(), 1797u);
  std::array<int, 10> perClass{};
  for (size_t i = 0; i < lines.size(); ++i) {
    std::vector<int> fields;
    std::stringstream stream(lines[i]);
    for (std::string field; std::getline(stream, field, ',');)
      fields.push_back(std::stoi(field));
    ASSERT_EQ(fields.size(), 65u) << "line " << i + 1;
    bool test = i % 5 == 4;
    const digits_set &set = test ? data.test : data.train;
    int64_t index = test ? int64_t(i / 5) : int64_t(i - i / 5);
    ASSERT_EQ(set.labels[index], fields[64]) << "line " << i + 1;
    ASSERT_GE(fields[64], 0);
    ASSERT_LE(fields[64], 9);
    ++perClass[fields[64]];
    for (int p = 0; p < 64; ++p)
      ASSERT_EQ(set.images[index * 64 + p], float(fields[p]) / 16.0f)
          << "line " << i + 1 << ", pixel " << p + 1;
  }
  // The class counts of the UCI test set (as scikit-learn's load_digits).
  EXPECT_EQ(perClass, (std::array<int, 10>{178, 182, 177, 183, 181, 182, 181,
                                           179, 174, 180}));
  // Every class is in both sets.
  for (const digits_set *set : {&data.train, &data.test}) {
    std::array<int, 10> seen{};
    for (int64_t i = 0; i < set->count; ++i)
      ++seen[set->labels[i]];
    for (int c = 0; c < 10; ++c)
      EXPECT_GT(seen[c], 20) << "class " << c;
  }
  digits_free(&loaded.data);
  EXPECT_EQ(loaded.data.train.images, nullptr);
}

TEST(DigitsData, AcceptsCarriageReturnsAndNoFinalNewline) {
  std::vector<std::string> lines = shippedLines();
  lines.resize(12);
  std::string text;
  for (const std::string &line : lines)
    text += line + "\r\n";
  text += lines[0]; // no newline at the end
  Loaded loaded = load(writeTemp("crlf", text));
  ASSERT_EQ(loaded.status, 0) << loaded.error;
  EXPECT_EQ(loaded.data.train.count, 11);
  EXPECT_EQ(loaded.data.test.count, 2);
  EXPECT_EQ(loaded.data.train.labels[10], loaded.data.train.labels[0]);
  digits_free(&loaded.data);
}

struct Corruption {
  const char *name;
  int line; // 1-based line of the file that is changed
  std::string replacement;
  std::string message; // after "PATH:LINE: "
};

TEST(DigitsData, RejectsCorruptedCopiesNamingTheLine) {
  std::vector<std::string> lines = shippedLines();
  ASSERT_GE(lines.size(), 100u);
  const std::string zeros63 = [] {
    std::string text;
    for (int i = 0; i < 63; ++i)
      text += "0,";
    return text;
  }();
  const std::vector<Corruption> corruptions = {
      {"pixel", 3, "0,0,17," + zeros63.substr(6) + "0,1",
       "pixel 3 is 17, outside 0..16"},
      {"label", 50, zeros63 + "0,10", "label is 10, outside 0..9"},
      {"short", 7, zeros63 + "4", "64 fields; expected 65"},
      {"long", 8, zeros63 + "0,0,4", "66 fields; expected 65"},
      {"letter", 9, "0,x," + zeros63.substr(4) + "0,1",
       "field 2 has the character 0x78"},
      {"negative", 10, "-1," + zeros63.substr(2) + "0,1",
       "field 1 has the character 0x2d"},
      {"empty field", 11, "0,," + zeros63.substr(4) + "0,1",
       "field 2 is empty"},
      {"trailing comma", 12, zeros63 + "0,1,", "field 66 is empty"},
      {"space", 13, zeros63 + "0, 1", "field 65 has the character 0x20"},
      {"blank line", 14, "", "empty line"},
      {"nul byte", 15,
       std::string("0,0") + '\0' + "," + zeros63.substr(4) + "0,1",
       "field 2 has the character 0x00"},
      {"huge line", 16, std::string(600, '1'), "line longer than 512"},
  };
  for (const Corruption &c : corruptions) {
    SCOPED_TRACE(c.name);
    std::vector<std::string> copy = lines;
    copy[c.line - 1] = c.replacement;
    std::string name = c.name;
    for (char &ch : name)
      if (ch == ' ')
        ch = '_';
    std::string path = writeTemp(name, joinLines(copy));
    Loaded loaded = load(path);
    EXPECT_NE(loaded.status, 0);
    std::string expected =
        path + ":" + std::to_string(c.line) + ": " + c.message;
    EXPECT_EQ(loaded.error.rfind(expected, 0), 0u)
        << loaded.error << "\nexpected to start with: " << expected;
    // Nothing is handed out on an error.
    EXPECT_EQ(loaded.data.train.count, 0);
    EXPECT_EQ(loaded.data.train.images, nullptr);
    EXPECT_EQ(loaded.data.test.labels, nullptr);
  }
}

TEST(DigitsData, RejectsMissingAndTooSmallFiles) {
  std::string missing = testing::TempDir() + "resc_digits_no_such_file.csv";
  Loaded loaded = load(missing);
  EXPECT_NE(loaded.status, 0);
  EXPECT_EQ(loaded.error.rfind(missing + ": cannot open", 0), 0u)
      << loaded.error;

  std::vector<std::string> lines = shippedLines();
  lines.resize(4);
  std::string path = writeTemp("four", joinLines(lines));
  loaded = load(path);
  EXPECT_NE(loaded.status, 0);
  EXPECT_EQ(loaded.error, path + ": 4 images; the split into training and "
                                 "test sets needs at least 5");

  path = writeTemp("empty", "");
  loaded = load(path);
  EXPECT_NE(loaded.status, 0);
  EXPECT_EQ(loaded.error, path + ": 0 images; the split into training and "
                                 "test sets needs at least 5");

  // NULL arguments are errors too, and a short buffer still gets the start
  // of the message.
  char error[16];
  EXPECT_NE(digits_load(nullptr, &loaded.data, error, sizeof(error)), 0);
  EXPECT_STREQ(error, "digits_load: pa");
  EXPECT_NE(digits_load(path.c_str(), nullptr, nullptr, 0), 0);
  digits_free(nullptr);
}

} // namespace
