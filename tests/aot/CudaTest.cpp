// The host-cuda library of resnet20 (GPU schedules, tensors kept on the
// device for a run) against the interpreter at batch 1 and 8. It is always
// compiled and linked; it runs only where a CUDA driver and device are
// present, and skips with a message elsewhere.
#include "resnet20_cuda.h"

#include "CudaAvailable.h"

#include "resc/Npy.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace {

using resc::testing::cudaUnavailable;

const std::string kData = AOT_DATA;

class CudaBatches : public ::testing::TestWithParam<int> {};

TEST_P(CudaBatches, Resnet20MatchesInterpreter) {
  if (std::string why = cudaUnavailable(); !why.empty())
    GTEST_SKIP() << "GPU test skipped: " << why;
  const std::string b = std::to_string(GetParam());
  resc::Tensor x, ref;
  std::string error;
  ASSERT_TRUE(resc::readNpy(kData + "/x_resnet20_b" + b + ".npy", x, error))
      << error;
  ASSERT_TRUE(resc::readNpy(kData + "/ref_resnet20_b" + b + ".npy", ref, error))
      << error;
  resc_model *m = nullptr;
  ASSERT_EQ(resnet20_cuda_create_from_file(
                (kData + "/resnet20.safetensors").c_str(), &m),
            RESC_OK)
      << resnet20_cuda_error_message(nullptr);
  // Twice: the second run reuses the parameters already on the device.
  for (int run = 0; run < 2; ++run) {
    std::vector<float> out(ref.data.size());
    ASSERT_EQ(resnet20_cuda_run(m, x.data.data(), x.shape[0], out.data()),
              RESC_OK)
        << resnet20_cuda_error_message(m);
    double err = 0, scale = 0;
    for (size_t i = 0; i < out.size(); ++i) {
      err = std::max(err, std::fabs(double(out[i]) - ref.data[i]));
      scale = std::max(scale, std::fabs(double(ref.data[i])));
    }
    EXPECT_LT(err / scale, 1e-4) << "run " << run;
  }
  EXPECT_EQ(resnet20_cuda_destroy(m), RESC_OK);
}

INSTANTIATE_TEST_SUITE_P(, CudaBatches, ::testing::Values(1, 8));

} // namespace
