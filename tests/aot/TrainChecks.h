// The checks of a `resc compile --train` library of tests/aot/tiny.res that
// hold on every target (TrainTest.cpp runs them on the CPU library,
// CudaTest.cpp on the host-cuda one): against the reference interpreter
// running the training function (`resc run --train --interpret`, its
// --grads-out and --weights-out files), and parameters changed in place and
// saved.
#ifndef RESC_TESTS_AOT_TRAINCHECKS_H
#define RESC_TESTS_AOT_TRAINCHECKS_H

#include "resc/Npy.h"
#include "resc/Safetensors.h"
#include "resc/resc_runtime.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

namespace resc::testing::train {

inline const std::string kData = AOT_DATA;
constexpr int64_t kBatch = 4;

/// A library's NAME_create_from_file.
using CreateFn = resc_status (*)(const char *path, resc_model **out);

inline resc::Tensor load(const std::string &leaf) {
  resc::Tensor t;
  std::string error;
  EXPECT_TRUE(resc::readNpy(kData + "/" + leaf, t, error)) << error;
  return t;
}

struct Instance {
  resc_model *model = nullptr;
  Instance(CreateFn create, const std::string &weights) {
    EXPECT_EQ(create(weights.c_str(), &model), RESC_OK)
        << resc_model_error_message(nullptr);
  }
  ~Instance() {
    if (model)
      resc_model_destroy(model);
  }
};

/// The largest error relative to the largest reference value, or to
/// `floor` when that is smaller: a bias before a training-mode batch norm
/// has the exact gradient 0 (the norm subtracts it again), so both sides
/// are rounding noise there.
inline double relError(const float *got, const std::vector<float> &want,
                       double floor = 0) {
  double err = 0, scale = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    if (!std::isfinite(got[i]))
      return INFINITY;
    err = std::max(err, std::fabs(double(got[i]) - want[i]));
    scale = std::max(scale, std::fabs(double(want[i])));
  }
  scale = std::max(scale, floor);
  return scale > 0 ? err / scale : err;
}

struct Param {
  std::string name;
  float *data;
  const float *grad;
  int64_t count;
  bool trainable;
};

inline std::vector<Param> parameters(resc_model *model) {
  size_t n = 0;
  EXPECT_EQ(resc_model_num_parameters(model, &n), RESC_OK);
  std::vector<Param> params;
  for (size_t i = 0; i < n; ++i) {
    const char *name;
    float *data;
    const float *grad;
    int64_t count;
    int32_t trainable;
    EXPECT_EQ(
        resc_model_parameter(model, i, &name, &data, &grad, &count, &trainable),
        RESC_OK);
    params.push_back({name, data, grad, count, trainable != 0});
  }
  return params;
}

/// One training forward and backward of the test's input and output
/// gradient; the output and the input gradient.
inline void step(resc_model *model, std::vector<float> &y,
                 std::vector<float> &dx) {
  resc::Tensor x = load("train_x.npy"), dy = load("train_dy.npy");
  y.assign(dy.data.size(), 0.0f);
  dx.assign(x.data.size(), 0.0f);
  const float *in = x.data.data();
  float *out = y.data();
  ASSERT_EQ(resc_model_train_forward(model, &in, kBatch, &out), RESC_OK)
      << resc_model_error_message(model);
  const float *g = dy.data.data();
  float *gx = dx.data();
  ASSERT_EQ(resc_model_backward(model, &g, &gx), RESC_OK)
      << resc_model_error_message(model);
}

/// One inference run of `x`.
inline void runOnce(resc_model *model, const resc::Tensor &x,
                    std::vector<float> &out) {
  const float *in = x.data.data();
  float *o = out.data();
  ASSERT_EQ(resc_model_run(model, &in, kBatch, &o), RESC_OK)
      << resc_model_error_message(model);
}

/// One step's output and gradients against the interpreter's.
inline void expectGradientsMatchTheInterpreter(CreateFn create) {
  Instance inst(create, kData + "/tiny.safetensors");
  std::vector<float> y, dx;
  step(inst.model, y, dx);
  resc::TensorMap grads, others;
  std::map<std::string, std::string> otherTypes;
  std::string error;
  ASSERT_TRUE(resc::readSafetensors(kData + "/train_grads.safetensors", grads,
                                    otherTypes, error))
      << error;
  EXPECT_LT(relError(y.data(), load("train_y.npy").data), 1e-4);
  ASSERT_TRUE(grads.count("x"));
  EXPECT_LT(relError(dx.data(), grads["x"].data), 1e-4);
  size_t trainable = 0;
  for (const Param &p : parameters(inst.model)) {
    if (!p.trainable) {
      EXPECT_EQ(p.grad, nullptr) << p.name;
      continue;
    }
    ++trainable;
    ASSERT_TRUE(grads.count(p.name)) << p.name;
    ASSERT_EQ(int64_t(grads[p.name].data.size()), p.count) << p.name;
    EXPECT_LT(relError(p.grad, grads[p.name].data, 1e-2), 1e-4) << p.name;
  }
  EXPECT_EQ(trainable + 1, grads.size()); // and the input's
}

/// A step without an optimiser changes exactly the running statistics, to
/// the interpreter's values.
inline void expectRunningStatisticsMatchTheInterpreter(CreateFn create) {
  Instance inst(create, kData + "/tiny.safetensors");
  std::map<std::string, std::vector<float>> before;
  for (const Param &p : parameters(inst.model))
    before[p.name].assign(p.data, p.data + p.count);
  std::vector<float> y, dx;
  step(inst.model, y, dx);
  // The interpreter's parameters after the same step (resc run --train
  // --weights-out).
  resc::TensorMap after;
  std::map<std::string, std::string> otherTypes;
  std::string error;
  ASSERT_TRUE(resc::readSafetensors(kData + "/train_weights.safetensors", after,
                                    otherTypes, error))
      << error;
  size_t buffers = 0;
  for (const Param &p : parameters(inst.model)) {
    bool changed = false;
    for (int64_t i = 0; i < p.count; ++i)
      changed |= p.data[i] != before[p.name][i];
    // Only the running statistics change in a step without an optimiser,
    // to the interpreter's values.
    EXPECT_EQ(changed, !p.trainable) << p.name;
    buffers += !p.trainable;
    ASSERT_TRUE(after.count(p.name)) << p.name;
    ASSERT_EQ(int64_t(after[p.name].data.size()), p.count) << p.name;
    EXPECT_LT(relError(p.data, after[p.name].data), 1e-5) << p.name;
  }
  EXPECT_EQ(buffers, 4u); // two batch norms, mean and variance each
}

/// After an SGD update in place, the next step and inference agree with a
/// fresh instance of the saved weights.
inline void expectSgdStepsAgreeWithSavedWeights(CreateFn create,
                                                const std::string &tag) {
  Instance inst(create, kData + "/tiny.safetensors");
  std::vector<float> y, dx;
  step(inst.model, y, dx);
  for (const Param &p : parameters(inst.model))
    if (p.trainable)
      for (int64_t i = 0; i < p.count; ++i)
        p.data[i] -= 0.05f * p.grad[i];
  ASSERT_EQ(resc_model_parameters_changed(inst.model), RESC_OK);
  std::string saved =
      ::testing::TempDir() + "/aot_train_" + tag + ".safetensors";
  ASSERT_EQ(resc_model_save_weights(inst.model, saved.c_str()), RESC_OK)
      << resc_model_error_message(inst.model);

  // The second step through the updated instance and through a new one.
  std::vector<float> y2, dx2, yFresh, dxFresh;
  step(inst.model, y2, dx2);
  Instance fresh(create, saved);
  step(fresh.model, yFresh, dxFresh);
  EXPECT_LT(relError(y2.data(), yFresh), 1e-6);
  EXPECT_LT(relError(dx2.data(), dxFresh), 1e-6);
  EXPECT_GT(relError(y2.data(), y), 1e-4); // the step changed the model

  // Inference sees the new weights (and the new running statistics).
  resc::Tensor x = load("train_x.npy");
  std::vector<float> out(y.size()), outFresh(y.size());
  runOnce(inst.model, x, out);
  ASSERT_EQ(resc_model_save_weights(inst.model, saved.c_str()), RESC_OK);
  Instance fresh2(create, saved);
  runOnce(fresh2.model, x, outFresh);
  EXPECT_LT(relError(out.data(), outFresh), 1e-6);

  // The saved file holds every parameter.
  resc::TensorMap file;
  std::map<std::string, std::string> others;
  std::string error;
  ASSERT_TRUE(resc::readSafetensors(saved, file, others, error)) << error;
  for (const Param &p : parameters(inst.model)) {
    ASSERT_TRUE(file.count(p.name)) << p.name;
    EXPECT_EQ(relError(p.data, file[p.name].data), 0.0) << p.name;
  }
}

} // namespace resc::testing::train

#endif
