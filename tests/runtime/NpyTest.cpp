//===- NpyTest.cpp - Reading and writing .npy files -----------------------===//

#include "TestBytes.h"

#include "resc/Npy.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <limits>

namespace resc {
namespace {

using namespace test;

bool readBytes(const Bytes &file, Tensor &out, std::string &error) {
  return readNpyFromMemory(file.data(), file.size(), "a.npy", out, error);
}

Bytes serialized(const Tensor &tensor) {
  Bytes bytes;
  std::string error;
  EXPECT_TRUE(serializeNpy(tensor, bytes, error)) << error;
  return bytes;
}

Tensor tensorOf(std::vector<int64_t> shape, std::vector<float> data) {
  Tensor tensor;
  tensor.shape = std::move(shape);
  tensor.data = std::move(data);
  return tensor;
}

// What numpy >= 1.24's np.save writes for np.arange(6, dtype=np.float32)
// .reshape(2, 3): the dict, 20 spaces of room for the first axis to grow
// (21 digits less the one of "2"), 38 spaces of padding and a newline, so the
// data starts at byte 128.
TEST(Npy, MatchesNumpyBytes2D) {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': "
                       "(2, 3), }" +
                       std::string(58, ' ') + "\n";
  Bytes expected = npy(1, header, f32({0, 1, 2, 3, 4, 5}));
  ASSERT_EQ(expected.size(), 128u + 24u);
  EXPECT_EQ(serialized(tensorOf({2, 3}, {0, 1, 2, 3, 4, 5})), expected);

  Tensor out;
  std::string error;
  ASSERT_TRUE(readBytes(expected, out, error)) << error;
  EXPECT_EQ(out.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(out.data, (std::vector<float>{0, 1, 2, 3, 4, 5}));
}

// A 0-d array has shape () and no growth room: numpy writes 62 spaces.
TEST(Npy, MatchesNumpyBytesScalar) {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (), "
                       "}" +
                       std::string(62, ' ') + "\n";
  Bytes expected = npy(1, header, f32({3.5f}));
  EXPECT_EQ(serialized(tensorOf({}, {3.5f})), expected);

  Tensor out;
  std::string error;
  ASSERT_TRUE(readBytes(expected, out, error)) << error;
  EXPECT_TRUE(out.shape.empty());
  EXPECT_EQ(out.data, std::vector<float>{3.5f});
}

// A 1-d shape is the one-element tuple "(5,)".
TEST(Npy, MatchesNumpyBytes1D) {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': "
                       "(5,), }" +
                       std::string(60, ' ') + "\n";
  Bytes expected = npy(1, header, f32({1, 2, 3, 4, 5}));
  EXPECT_EQ(serialized(tensorOf({5}, {1, 2, 3, 4, 5})), expected);
}

// numpy's padding formula never pads by 0: an exactly aligned header gets a
// full 64 spaces. 36 one-digit dims give such a header.
TEST(Npy, MatchesNumpyFullPaddingWhenAligned) {
  std::vector<int64_t> shape(36, 1);
  std::string dims;
  for (int i = 0; i < 36; ++i)
    dims += i ? ", 1" : "1";
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" +
                     dims + "), }" + std::string(20, ' ');
  ASSERT_EQ((10 + dict.size() + 1) % 64, 0u);
  Bytes expected = npy(1, dict + std::string(64, ' ') + "\n", f32({8}));
  EXPECT_EQ(serialized(tensorOf(shape, {8})), expected);
}

TEST(Npy, HeaderIsAlwaysAlignedAndTerminated) {
  for (std::vector<int64_t> shape : {std::vector<int64_t>{},
                                     {0},
                                     {1},
                                     {12345678},
                                     {3, 0, 2},
                                     {1, 2, 3, 4, 5, 6, 7}}) {
    Tensor tensor(shape);
    Bytes bytes = serialized(tensor);
    size_t headerSize = bytes[8] | (bytes[9] << 8);
    EXPECT_EQ((10 + headerSize) % 64, 0u) << shapeToString(shape);
    EXPECT_EQ(bytes[10 + headerSize - 1], '\n');
    EXPECT_EQ(bytes[10 + headerSize - 2], ' ');
    EXPECT_EQ(bytes.size(), 10 + headerSize + 4 * tensor.data.size());
  }
}

TEST(Npy, FileRoundTripIsBitExact) {
  float nan;
  uint32_t payload = 0xffc00042;
  std::memcpy(&nan, &payload, 4);
  std::vector<Tensor> tensors = {
      tensorOf({}, {-1.5f}),
      tensorOf({0}, {}),
      tensorOf({2, 0, 3}, {}),
      tensorOf({6}, {nan, -0.0f, std::numeric_limits<float>::infinity(),
                     std::numeric_limits<float>::denorm_min(),
                     std::numeric_limits<float>::max(), 1e-30f}),
      tensorOf({2, 1, 2, 1}, {1, 2, 3, 4}),
  };
  std::string path = testing::TempDir() + "resc_roundtrip.npy";
  for (const Tensor &tensor : tensors) {
    std::string error;
    ASSERT_TRUE(writeNpy(path, tensor, error)) << error;
    Tensor out;
    ASSERT_TRUE(readNpy(path, out, error)) << error;
    EXPECT_EQ(out.shape, tensor.shape);
    ASSERT_EQ(out.data.size(), tensor.data.size());
    for (size_t i = 0; i < tensor.data.size(); ++i)
      EXPECT_EQ(bitsOf(out.data[i]), bitsOf(tensor.data[i]));
  }
  std::remove(path.c_str());
}

// Old numpy aligned to 16 bytes without growth room; other writers use
// double quotes, omit the trailing comma or the newline.
TEST(Npy, ReadsOtherWritersHeaders) {
  struct Case {
    const char *what;
    Bytes file;
    std::vector<int64_t> shape;
  };
  std::vector<Case> cases = {
      {"numpy 1.x, 16-byte alignment",
       npy(1,
           "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1), }" +
               std::string(10, ' ') + "\n",
           f32({1, 2})),
       {2, 1}},
      {"double quotes, no trailing comma, no newline",
       npy(1, "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2,)}",
           f32({1, 2})),
       {2}},
      {"keys in another order, tight spacing",
       npy(1, "{'shape':(1,2,),'fortran_order':False,'descr':'<f4'}\n",
           f32({1, 2})),
       {1, 2}},
      {"Python 2 longs",
       npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 1L), }\n",
           f32({1, 2})),
       {2, 1}},
      {"version 2.0",
       npy(2, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n",
           f32({1, 2})),
       {2}},
      {"version 3.0",
       npy(3, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n",
           f32({1, 2})),
       {2}},
  };
  for (const Case &c : cases) {
    Tensor out;
    std::string error;
    ASSERT_TRUE(readBytes(c.file, out, error)) << c.what << ": " << error;
    EXPECT_EQ(out.shape, c.shape) << c.what;
    EXPECT_EQ(out.data, (std::vector<float>{1, 2})) << c.what;
  }
}

TEST(Npy, ReadsFromUnalignedMemory) {
  Bytes file = Bytes{0} + serialized(tensorOf({2}, {0.25f, 4}));
  Tensor out;
  std::string error;
  ASSERT_TRUE(
      readNpyFromMemory(file.data() + 1, file.size() - 1, "m", out, error))
      << error;
  EXPECT_EQ(out.data, (std::vector<float>{0.25f, 4}));
}

TEST(Npy, WriterRejectsInconsistentTensor) {
  std::string error;
  Bytes bytes;
  EXPECT_FALSE(serializeNpy(tensorOf({2, 2}, {1, 2, 3}), bytes, error));
  EXPECT_EQ(error, "shape [2, 2] does not match its 3 values");
  std::string path = testing::TempDir() + "resc_never_written.npy";
  EXPECT_FALSE(writeNpy(path, tensorOf({-2}, {}), error));
  EXPECT_EQ(error, path + ": shape [-2] does not match its 0 values");
}

TEST(Npy, FileErrorsNameThePath) {
  Tensor out;
  std::string error;
  std::string missing = testing::TempDir() + "resc_no_such_file.npy";
  EXPECT_FALSE(readNpy(missing, out, error));
  EXPECT_EQ(error.rfind(missing + ": cannot open for reading: ", 0), 0u)
      << error;

  std::string bad = testing::TempDir() + "resc_bad.npy";
  Bytes image = npy(
      1, "{'descr': '<f8', 'fortran_order': False, 'shape': (), }", zeros(8));
  std::FILE *file = std::fopen(bad.c_str(), "wb");
  ASSERT_NE(file, nullptr);
  std::fwrite(image.data(), 1, image.size(), file);
  std::fclose(file);
  EXPECT_FALSE(readNpy(bad, out, error));
  std::remove(bad.c_str());
  EXPECT_EQ(error, bad + ": dtype '<f8' is not supported; only '<f4' "
                         "(little-endian float32) is");
}

} // namespace
} // namespace resc
