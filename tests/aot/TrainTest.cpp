// GoogleTests of a `resc compile --train` library (tiny.res: batch norms, a
// weight-tied repeat, a dense head) on the CPU: the checks of
// TrainChecks.h and the training entries' errors.
#include "tiny.h"
#include "tiny_train.h"

#include "TrainChecks.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using namespace resc::testing::train;

TEST(AotTrain, ForwardAndGradientsMatchTheInterpreter) {
  expectGradientsMatchTheInterpreter(tiny_train_create_from_file);
}

TEST(AotTrain, RunningStatisticsMatchTheInterpreter) {
  expectRunningStatisticsMatchTheInterpreter(tiny_train_create_from_file);
}

TEST(AotTrain, SgdStepsAgreeWithAFreshInstanceOfTheSavedWeights) {
  expectSgdStepsAgreeWithSavedWeights(tiny_train_create_from_file, "cpu");
}

TEST(AotTrain, ErrorsAreReported) {
  Instance inst(tiny_train_create_from_file, kData + "/tiny.safetensors");
  resc::Tensor x = load("train_x.npy"), dy = load("train_dy.npy");
  const float *in = x.data.data(), *g = dy.data.data();
  std::vector<float> y(dy.data.size());
  float *out = y.data();

  EXPECT_EQ(resc_model_backward(inst.model, &g, nullptr),
            RESC_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(resc_model_error_message(inst.model))
                .find("needs a train_forward first"),
            std::string::npos);
  EXPECT_EQ(resc_model_train_forward(inst.model, nullptr, kBatch, &out),
            RESC_ERROR_NULL_POINTER);
  EXPECT_EQ(resc_model_train_forward(inst.model, &in, 0, &out),
            RESC_ERROR_INVALID_ARGUMENT);
  ASSERT_EQ(resc_model_train_forward(inst.model, &in, kBatch, &out), RESC_OK);
  EXPECT_EQ(resc_model_backward(inst.model, nullptr, nullptr),
            RESC_ERROR_NULL_POINTER);
  // Input gradients are optional.
  EXPECT_EQ(resc_model_backward(inst.model, &g, nullptr), RESC_OK)
      << resc_model_error_message(inst.model);
  // One backward per train_forward.
  EXPECT_EQ(resc_model_backward(inst.model, &g, nullptr),
            RESC_ERROR_INVALID_ARGUMENT);

  size_t n = 0;
  ASSERT_EQ(resc_model_num_parameters(inst.model, &n), RESC_OK);
  const char *name;
  float *data;
  const float *grad;
  int64_t count;
  int32_t trainable;
  EXPECT_EQ(resc_model_parameter(inst.model, n, &name, &data, &grad, &count,
                                 &trainable),
            RESC_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(
      std::string(resc_model_error_message(inst.model)).find("out of range"),
      std::string::npos);
  EXPECT_EQ(resc_model_parameter(inst.model, 0, nullptr, &data, &grad, &count,
                                 &trainable),
            RESC_ERROR_NULL_POINTER);
  EXPECT_EQ(resc_model_save_weights(inst.model, nullptr),
            RESC_ERROR_NULL_POINTER);
  EXPECT_EQ(resc_model_save_weights(inst.model, "/nonexistent/dir/w.st"),
            RESC_ERROR_WEIGHTS);
  EXPECT_EQ(resc_model_train_forward(nullptr, &in, kBatch, &out),
            RESC_ERROR_NULL_POINTER);

  // A library compiled without --train.
  resc_model *plain = nullptr;
  ASSERT_EQ(tiny_create(&plain), RESC_OK) << tiny_error_message(nullptr);
  EXPECT_EQ(resc_model_train_forward(plain, &in, kBatch, &out),
            RESC_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(resc_model_error_message(plain))
                .find("compiled without --train"),
            std::string::npos);
  EXPECT_EQ(resc_model_num_parameters(plain, &n), RESC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(resc_model_parameters_changed(plain), RESC_ERROR_INVALID_ARGUMENT);
  resc_model_destroy(plain);
}

} // namespace
