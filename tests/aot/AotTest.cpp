// GoogleTests of AOT libraries through their generated headers: outputs
// against the reference interpreter at batch 1 and 8, queries, checked
// shapes, bad weights (missing, truncated, mis-shaped), two instances on
// two threads, profiling and thread counts.
#include "resnet20.h"
#include "tiny.h"

#include "resc/Npy.h"
#include "resc/Safetensors.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

namespace {

const std::string kData = AOT_DATA;

resc::Tensor load(const std::string &leaf) {
  resc::Tensor t;
  std::string error;
  EXPECT_TRUE(resc::readNpy(kData + "/" + leaf, t, error)) << error;
  return t;
}

double relError(const std::vector<float> &got, const std::vector<float> &want) {
  double err = 0, scale = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    err = std::max(err, std::fabs(double(got[i]) - want[i]));
    scale = std::max(scale, std::fabs(double(want[i])));
  }
  return scale > 0 ? err / scale : err;
}

std::vector<uint8_t> fileBytes(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

/// Owns an instance; fails the test when creation fails.
struct Instance {
  resc_model *model = nullptr;
  ~Instance() {
    if (model)
      resc_model_destroy(model);
  }
};

resc_model *resnet20(Instance &i) {
  EXPECT_EQ(resnet20_create_from_file((kData + "/resnet20.safetensors").c_str(),
                                      &i.model),
            RESC_OK)
      << resnet20_error_message(nullptr);
  return i.model;
}

std::vector<float> runResnet20(resc_model *m, const resc::Tensor &x) {
  const int64_t batch = x.shape[0];
  std::vector<float> out(batch * RESNET20_OUTPUT0_SIZE);
  EXPECT_EQ(resnet20_run(m, x.data.data(), batch, out.data()), RESC_OK)
      << resnet20_error_message(m);
  return out;
}

class Batches : public ::testing::TestWithParam<int> {};

TEST_P(Batches, Resnet20MatchesInterpreter) {
  const std::string b = std::to_string(GetParam());
  Instance i;
  resc_model *m = resnet20(i);
  ASSERT_NE(m, nullptr);
  resc::Tensor x = load("x_resnet20_b" + b + ".npy");
  resc::Tensor ref = load("ref_resnet20_b" + b + ".npy");
  EXPECT_LT(relError(runResnet20(m, x), ref.data), 1e-4);
}

TEST_P(Batches, TinyWithEmbeddedWeightsMatchesInterpreter) {
  const std::string b = std::to_string(GetParam());
  Instance i;
  ASSERT_EQ(tiny_create(&i.model), RESC_OK) << tiny_error_message(nullptr);
  resc::Tensor x = load("x_tiny_b" + b + ".npy");
  resc::Tensor ref = load("ref_tiny_b" + b + ".npy");
  std::vector<float> out(ref.data.size());
  ASSERT_EQ(tiny_run(i.model, x.data.data(), x.shape[0], out.data()), RESC_OK)
      << tiny_error_message(i.model);
  EXPECT_LT(relError(out, ref.data), 1e-4);
}

INSTANTIATE_TEST_SUITE_P(, Batches, ::testing::Values(1, 8));

TEST(Aot, NamesAndShapes) {
  Instance i;
  resc_model *m = resnet20(i);
  ASSERT_NE(m, nullptr);
  size_t n = 0;
  ASSERT_EQ(resnet20_num_inputs(m, &n), RESC_OK);
  EXPECT_EQ(n, 1u);
  const char *name = nullptr;
  ASSERT_EQ(resnet20_input_name(m, 0, &name), RESC_OK);
  EXPECT_STREQ(name, "image");
  ASSERT_EQ(resnet20_output_name(m, 0, &name), RESC_OK);
  EXPECT_STREQ(name, "logits");
  int32_t rank = 0;
  int64_t dims[RESC_MAX_RANK] = {};
  ASSERT_EQ(resnet20_input_shape(m, 0, &rank, dims), RESC_OK);
  EXPECT_EQ(rank, 4);
  EXPECT_EQ(std::vector<int64_t>(dims, dims + 4),
            (std::vector<int64_t>{-1, 3, 32, 32}));
  ASSERT_EQ(resnet20_output_shape(m, 0, &rank, dims), RESC_OK);
  EXPECT_EQ(std::vector<int64_t>(dims, dims + rank),
            (std::vector<int64_t>{-1, 10}));
  EXPECT_EQ(resnet20_input_name(m, 1, &name), RESC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(resnet20_input_shape(m, 0, nullptr, dims), RESC_ERROR_NULL_POINTER);
}

TEST(Aot, CheckedShapes) {
  Instance i;
  resc_model *m = resnet20(i);
  ASSERT_NE(m, nullptr);
  std::vector<float> in(2 * 3 * 32 * 32, 0.25f), out(2 * 10);
  resc_tensor x = {in.data(), 4, {2, 3, 32, 32}};
  resc_tensor y = {out.data(), 2, {2, 10}};
  EXPECT_EQ(resnet20_run_tensors(m, &x, 1, &y, 1), RESC_OK)
      << resnet20_error_message(m);

  resc_tensor wrong = {in.data(), 4, {2, 3, 16, 64}};
  EXPECT_EQ(resnet20_run_tensors(m, &wrong, 1, &y, 1),
            RESC_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(resnet20_error_message(m)).find("[2, 3, 16, 64]"),
            std::string::npos)
      << resnet20_error_message(m);
  resc_tensor rank3 = {in.data(), 3, {2, 3, 1024}};
  EXPECT_EQ(resnet20_run_tensors(m, &rank3, 1, &y, 1),
            RESC_ERROR_INVALID_ARGUMENT);
  resc_tensor otherBatch = {out.data(), 2, {1, 10}};
  EXPECT_EQ(resnet20_run_tensors(m, &x, 1, &otherBatch, 1),
            RESC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(resnet20_run_tensors(m, &x, 2, &y, 1), RESC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(resnet20_run_tensors(m, nullptr, 1, &y, 1),
            RESC_ERROR_NULL_POINTER);
  // The instance still runs afterwards.
  EXPECT_EQ(resnet20_run_tensors(m, &x, 1, &y, 1), RESC_OK);
}

TEST(Aot, BadWeights) {
  resc_model *m = reinterpret_cast<resc_model *>(1);
  std::vector<uint8_t> bytes = fileBytes(kData + "/resnet20.safetensors");
  ASSERT_GT(bytes.size(), 1000u);

  // Truncated, from memory.
  EXPECT_EQ(resnet20_create_from_memory(bytes.data(), bytes.size() / 2, &m),
            RESC_ERROR_WEIGHTS);
  EXPECT_EQ(m, nullptr);
  EXPECT_NE(std::string(resnet20_error_message(nullptr)), "");
  EXPECT_EQ(resnet20_create_from_memory(nullptr, 10, &m),
            RESC_ERROR_NULL_POINTER);

  // A mis-shaped and a missing parameter.
  resc::TensorMap tensors;
  std::map<std::string, std::string> others;
  std::string error;
  ASSERT_TRUE(resc::readSafetensorsFromMemory(bytes.data(), bytes.size(), "w",
                                              tensors, others, error));
  resc::TensorMap misShaped = tensors;
  misShaped["fc.weight"] = resc::Tensor({10, 32});
  std::vector<uint8_t> serialized;
  ASSERT_TRUE(resc::serializeSafetensors(misShaped, serialized, error));
  EXPECT_EQ(
      resnet20_create_from_memory(serialized.data(), serialized.size(), &m),
      RESC_ERROR_WEIGHTS);
  EXPECT_NE(std::string(resnet20_error_message(nullptr)).find("fc.weight"),
            std::string::npos)
      << resnet20_error_message(nullptr);
  resc::TensorMap missing = tensors;
  missing.erase("conv1.weight");
  ASSERT_TRUE(resc::serializeSafetensors(missing, serialized, error));
  EXPECT_EQ(
      resnet20_create_from_memory(serialized.data(), serialized.size(), &m),
      RESC_ERROR_WEIGHTS);
  EXPECT_NE(std::string(resnet20_error_message(nullptr)).find("conv1.weight"),
            std::string::npos)
      << resnet20_error_message(nullptr);

  // The same bytes, whole, work.
  ASSERT_EQ(resnet20_create_from_memory(bytes.data(), bytes.size(), &m),
            RESC_OK);
  EXPECT_EQ(resnet20_destroy(m), RESC_OK);
}

// Weights given at creation are loaded strictly, with the messages of
// `resc --weights` (format/WeightBinding.h): an extra tensor fails unless
// the options say non_strict; a checkpoint of another model says so.
TEST(Aot, StrictWeights) {
  std::vector<uint8_t> bytes = fileBytes(kData + "/resnet20.safetensors");
  resc::TensorMap tensors;
  std::map<std::string, std::string> others;
  std::string error;
  ASSERT_TRUE(resc::readSafetensorsFromMemory(bytes.data(), bytes.size(), "w",
                                              tensors, others, error));
  resc::TensorMap extra = tensors;
  extra["fc2.bias"] = resc::Tensor({10});
  std::vector<uint8_t> serialized;
  ASSERT_TRUE(resc::serializeSafetensors(extra, serialized, error));
  resc_model *m = nullptr;
  EXPECT_EQ(
      resnet20_create_from_memory(serialized.data(), serialized.size(), &m),
      RESC_ERROR_WEIGHTS);
  EXPECT_EQ(std::string(resnet20_error_message(nullptr)),
            "the weights in memory: 1 tensor of the file is not a parameter "
            "of the model: 'fc2.bias'; create the instance with "
            "resc_create_options.non_strict to ignore them");
  resc_create_options options = {};
  options.non_strict = 1;
  ASSERT_EQ(resnet20_create_with_options(nullptr, serialized.data(),
                                         serialized.size(), &options, &m),
            RESC_OK)
      << resnet20_error_message(nullptr);
  EXPECT_EQ(resnet20_destroy(m), RESC_OK);

  resc::TensorMap another;
  another["encoder.weight"] = resc::Tensor({4});
  ASSERT_TRUE(resc::serializeSafetensors(another, serialized, error));
  EXPECT_EQ(resnet20_create_with_options(nullptr, serialized.data(),
                                         serialized.size(), &options, &m),
            RESC_ERROR_WEIGHTS);
  const std::string message = resnet20_error_message(nullptr);
  EXPECT_EQ(message.rfind("the weights in memory: none of the model's ", 0), 0u)
      << message;
  EXPECT_NE(message.find("parameters are in this file: weights of another "
                         "model? (and "),
            std::string::npos)
      << message;
}

// tiny embeds its weights, folded by -O2: its own checkpoint at creation
// names the cause rather than a missing '*.bn_folded' parameter.
TEST(Aot, CheckpointForALibraryWithFoldedWeights) {
  resc_model *m = nullptr;
  EXPECT_EQ(tiny_create_from_file((kData + "/tiny.safetensors").c_str(), &m),
            RESC_ERROR_WEIGHTS);
  const std::string message = tiny_error_message(nullptr);
  EXPECT_NE(message.find("was compiled with its weights (resc compile "
                         "--weights)"),
            std::string::npos)
      << message;
  ASSERT_EQ(tiny_create(&m), RESC_OK) << tiny_error_message(nullptr);
  EXPECT_EQ(tiny_destroy(m), RESC_OK);
}

/// A library whose plan is of another format version (an older resc, whose
/// kernels would read this runtime's weight packing wrongly) is refused
/// with a message that says so; other damage stays "malformed".
TEST(Aot, LibraryOfAnotherFormatVersion) {
  Instance i;
  resc_model *m = resnet20(i);
  ASSERT_NE(m, nullptr);
  const resc_model_def *def = resc_model_definition(m);
  ASSERT_NE(def, nullptr);
  std::vector<unsigned char> plan(def->plan, def->plan + def->plan_size);
  ASSERT_GT(plan.size(), 8u);
  resc_model_def other = *def;
  other.plan = plan.data();
  const std::string weights = kData + "/resnet20.safetensors";
  resc_model *bad = reinterpret_cast<resc_model *>(1);

  plan[7] = '2';
  EXPECT_EQ(resc_model_create(&other, weights.c_str(), nullptr, 0, &bad),
            RESC_ERROR_BAD_LIBRARY);
  EXPECT_EQ(bad, nullptr);
  std::string message = resc_model_error_message(nullptr);
  EXPECT_NE(message.find("another version of resc (plan format 2"),
            std::string::npos)
      << message;

  plan[7] = def->plan[7];
  plan[0] = 'X';
  EXPECT_EQ(resc_model_create(&other, weights.c_str(), nullptr, 0, &bad),
            RESC_ERROR_BAD_LIBRARY);
  message = resc_model_error_message(nullptr);
  EXPECT_NE(message.find("malformed"), std::string::npos) << message;
}

TEST(Aot, TwoInstancesOnTwoThreads) {
  resc::Tensor x = load("x_resnet20_b8.npy");
  resc::Tensor ref = load("ref_resnet20_b8.npy");
  Instance a, b;
  ASSERT_NE(resnet20(a), nullptr);
  ASSERT_NE(resnet20(b), nullptr);
  std::vector<float> outA, outB;
  auto work = [&](resc_model *m, std::vector<float> &out) {
    for (int r = 0; r < 5; ++r)
      out = runResnet20(m, x);
  };
  std::thread ta(work, a.model, std::ref(outA));
  std::thread tb(work, b.model, std::ref(outB));
  ta.join();
  tb.join();
  EXPECT_LT(relError(outA, ref.data), 1e-4);
  EXPECT_LT(relError(outB, ref.data), 1e-4);
}

TEST(Aot, ProfileAndThreads) {
  Instance i;
  resc_model *m = resnet20(i);
  ASSERT_NE(m, nullptr);
  ASSERT_EQ(resc_model_set_profiling(m, 1), RESC_OK);
  ASSERT_EQ(resnet20_set_num_threads(1), RESC_OK);
  resc::Tensor x = load("x_resnet20_b1.npy");
  resc::Tensor ref = load("ref_resnet20_b1.npy");
  EXPECT_LT(relError(runResnet20(m, x), ref.data), 1e-4);
  EXPECT_EQ(resnet20_set_num_threads(0), RESC_OK);
  EXPECT_EQ(resnet20_set_num_threads(-1), RESC_ERROR_INVALID_ARGUMENT);
  size_t rows = 0;
  ASSERT_EQ(resc_model_profile_size(m, &rows), RESC_OK);
  EXPECT_GE(rows, 15u); // at least one row per distinct kernel
  const char *layer, *kernel;
  int64_t calls = 0;
  double seconds = 0, flops = 0, totalFlops = 0;
  for (size_t r = 0; r < rows; ++r) {
    ASSERT_EQ(
        resc_model_profile_row(m, r, &layer, &kernel, &calls, &seconds, &flops),
        RESC_OK);
    EXPECT_EQ(calls, 1);
    EXPECT_GE(seconds, 0);
    totalFlops += flops;
  }
  // ResNet-20 is about 41 M multiply-adds per image.
  EXPECT_GT(totalFlops, 70e6);
  EXPECT_LT(totalFlops, 90e6);
}

} // namespace
