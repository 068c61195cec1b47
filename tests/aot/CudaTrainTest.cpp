// The host-cuda training library of tiny.res: the same checks as the CPU
// library's (TrainChecks.h), so the device keeps the saved activations from
// train_forward to backward, uploads the parameters an optimiser changed,
// and brings the outputs, running statistics and gradients back. Runs only
// where a CUDA driver and device are present, and skips elsewhere.
#include "tiny_train_cuda.h"

#include "CudaAvailable.h"
#include "TrainChecks.h"

#include <gtest/gtest.h>

#include <string>

namespace {

using namespace resc::testing::train;
using resc::testing::cudaUnavailable;

class CudaTrain : public ::testing::Test {
protected:
  void SetUp() override {
    if (std::string why = cudaUnavailable(); !why.empty())
      GTEST_SKIP() << "GPU test skipped: " << why;
  }
};

TEST_F(CudaTrain, GradientsMatchTheInterpreter) {
  expectGradientsMatchTheInterpreter(tiny_train_cuda_create_from_file);
}

TEST_F(CudaTrain, RunningStatisticsMatchTheInterpreter) {
  expectRunningStatisticsMatchTheInterpreter(tiny_train_cuda_create_from_file);
}

TEST_F(CudaTrain, SgdStepsAgreeWithSavedWeights) {
  expectSgdStepsAgreeWithSavedWeights(tiny_train_cuda_create_from_file, "cuda");
}

} // namespace
