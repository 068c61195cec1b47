// Errors are diagnostics and failures, never aborts: wrong inputs and
// parameters, Halide run-time errors from a kernel, and IR the backend does
// not support.
#include "CodegenTestUtil.h"

#include "compiler/codegen/KernelCache.h"

using namespace res::codegen;
using namespace res::codegen::testing;

namespace {

const char *kSmall = R"(
model m { input x: f32[N, 4, 6, 6]
  conv(16, 3) as c; relu; global_avgpool }
)";

struct Fixture {
  std::unique_ptr<Model> model = fromRes(kSmall);
  mlir::FailureOr<CompiledModel> compiled = mlir::failure();
  Fixture() {
    CompileOptions options;
    options.cache = sharedCache();
    compiled = CompiledModel::compile(*model->module, options);
  }
};

TEST(CodegenErrors, WrongInputShape) {
  Fixture f;
  ASSERT_TRUE(succeeded(f.compiled)) << f.model->diagnostics;
  resc::TensorMap params = seededParams(*f.model->module);
  auto out = f.compiled->run({resc::Tensor({2, 4, 7, 6})}, params);
  EXPECT_TRUE(failed(out));
  EXPECT_NE(f.model->diagnostics.find("has shape [2, 4, 7, 6]"),
            std::string::npos)
      << f.model->diagnostics;
  EXPECT_NE(f.model->diagnostics.find("expects [N, 4, 6, 6]"),
            std::string::npos)
      << f.model->diagnostics;
  // Wrong count, and a tensor whose data does not match its shape.
  EXPECT_TRUE(failed(f.compiled->run({}, params)));
  resc::Tensor bad({1, 4, 6, 6});
  bad.data.pop_back();
  EXPECT_TRUE(failed(f.compiled->run({bad}, params)));
  // The model still runs afterwards.
  EXPECT_TRUE(succeeded(f.compiled->run({resc::Tensor({1, 4, 6, 6})}, params)));
}

TEST(CodegenErrors, MissingAndMisshapedParameters) {
  Fixture f;
  ASSERT_TRUE(succeeded(f.compiled)) << f.model->diagnostics;
  resc::TensorMap params = seededParams(*f.model->module);
  resc::TensorMap missing = params;
  missing.erase("c.bias");
  EXPECT_TRUE(failed(f.compiled->run({resc::Tensor({1, 4, 6, 6})}, missing)));
  EXPECT_NE(f.model->diagnostics.find("missing parameter 'c.bias'"),
            std::string::npos)
      << f.model->diagnostics;
  resc::TensorMap wrong = params;
  wrong["c.weight"] = resc::Tensor({16, 4, 3, 2});
  EXPECT_TRUE(failed(f.compiled->run({resc::Tensor({1, 4, 6, 6})}, wrong)));
  EXPECT_NE(
      f.model->diagnostics.find("parameter 'c.weight' has shape [16, 4, 3, 2]"),
      std::string::npos)
      << f.model->diagnostics;
}

TEST(CodegenErrors, HalideRuntimeErrorIsReturned) {
  // Below the model's own checks: a kernel given a buffer of the wrong
  // shape reports Halide's message through the installed handler.
  KernelDesc desc;
  desc.kind = KernelKind::Elementwise;
  Operand in;
  in.dims = {16, 4, 4};
  desc.operands = {in};
  desc.result = {16, 4, 4};
  std::string error;
  auto kernel = sharedCache()->get(desc, Halide::get_host_target(), error);
  ASSERT_TRUE(kernel) << error;
  std::vector<float> a(16 * 5 * 4), b(16 * 4 * 4);
  std::vector<Halide::Buffer<float>> operands = {
      Halide::Buffer<float>(a.data(), {16, 5, 4, 1})};
  Halide::Buffer<float> result(b.data(), {16, 4, 4, 1});
  std::string message = kernel->run(operands, result);
  EXPECT_FALSE(message.empty());
  EXPECT_NE(message.find("in0"), std::string::npos) << message;
  // A correct call on the same kernel still works.
  operands = {Halide::Buffer<float>(a.data(), {16, 4, 4, 1})};
  EXPECT_EQ(kernel->run(operands, result), "");
}

TEST(CodegenErrors, DynamicSpatialDimsAreRejected) {
  auto m = fromMlir(R"mlir(
module {
  func.func @m(%x: tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xf32> {
    %y = res.activation relu %x : tensor<?x4x?x?xf32>
    return %y : tensor<?x4x?x?xf32>
  }
}
)mlir");
  auto compiled = CompiledModel::compile(*m->module);
  EXPECT_TRUE(failed(compiled));
  EXPECT_NE(m->diagnostics.find("[N, 4, ?, ?] has sizes chosen at run time: "
                                "compiled kernels need every dimension but "
                                "the batch fixed"),
            std::string::npos)
      << m->diagnostics;
  EXPECT_NE(m->diagnostics.find("resc run --interpret"), std::string::npos)
      << m->diagnostics;
}

TEST(CodegenErrors, ProgressIsReported) {
  auto m = fromRes(kSmall);
  CompileOptions options;
  options.cache = sharedCache();
  std::vector<std::pair<size_t, size_t>> calls;
  options.progress = [&](size_t i, size_t n, const std::string &) {
    calls.push_back({i, n});
  };
  auto compiled = CompiledModel::compile(*m->module, options);
  ASSERT_TRUE(succeeded(compiled)) << m->diagnostics;
  ASSERT_EQ(calls.size(), compiled->numKernels() + 1);
  EXPECT_EQ(calls.front().first, 0u);
  EXPECT_EQ(calls.back().first, calls.back().second);
}

} // namespace
