//===- HostileFilesTest.cpp - The committed hostile weights and tensors ---===//
//
// Every .safetensors and .npy file of tests/hostile lies or is broken in one
// way. Loading it must fail with exactly the message that expected.txt gives,
// prefixed by the file's path, and leave the outputs empty. Under the
// sanitizer build this also proves that no case reads out of bounds.
//
//===----------------------------------------------------------------------===//

#include "resc/Npy.h"
#include "resc/Safetensors.h"
#include "tests/ExpectedMessages.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

namespace fs = std::filesystem;

namespace {

const std::string kDir = RESC_SOURCE_DIR "/tests/hostile";

std::map<std::string, std::string> expectations() {
  return res::test::readExpectedMessages(kDir + "/expected.txt");
}

bool isHostileFile(const fs::path &path) {
  return path.extension() == ".safetensors" || path.extension() == ".npy";
}

} // namespace

TEST(HostileFiles, CorpusHasAnExpectationPerFile) {
  auto expected = expectations();
  size_t files = 0;
  for (auto &entry : fs::directory_iterator(kDir))
    if (isHostileFile(entry.path())) {
      ++files;
      EXPECT_TRUE(expected.count(entry.path().filename().string()))
          << entry.path().filename() << " has no line in expected.txt";
    }
  EXPECT_GE(files, 40u);
  for (auto &[file, _] : expected)
    EXPECT_TRUE(fs::exists(kDir + "/" + file)) << file << " is missing";
}

TEST(HostileFiles, EachFailsWithItsExactMessage) {
  for (auto &[file, message] : expectations()) {
    SCOPED_TRACE(file);
    std::string path = kDir + "/" + file;
    std::string error;
    bool ok;
    if (fs::path(file).extension() == ".npy") {
      resc::Tensor tensor;
      ok = resc::readNpy(path, tensor, error);
      EXPECT_TRUE(tensor.shape.empty() && tensor.data.empty());
    } else {
      resc::TensorMap tensors;
      std::map<std::string, std::string> others;
      ok = resc::readSafetensors(path, tensors, others, error);
      EXPECT_TRUE(tensors.empty() && others.empty());
    }
    EXPECT_FALSE(ok) << "accepted";
    EXPECT_EQ(error, path + ": " + message);
  }
}
