// The example models end to end: the JIT against the interpreter at batch
// sizes 1 and 3, with seeded weights; plus what the plan promises about
// them (deduplicated kernels, a tied repeat compiled once, arena reuse).
#include "CodegenTestUtil.h"

using namespace res::codegen;
using namespace res::codegen::testing;

namespace {

std::string example(const std::string &name) {
  return std::string(RESC_SOURCE_DIR) + "/examples/" + name + ".res";
}

TEST(CodegenModels, Resnet20) {
  auto m = fromResFile(example("resnet20"));
  expectMatchesInterpreter(*m);
}

TEST(CodegenModels, TiedOde) {
  auto m = fromResFile(example("tied_ode"));
  expectMatchesInterpreter(*m);
}

TEST(CodegenModels, Resmlp) {
  auto m = fromResFile(example("resmlp"));
  expectMatchesInterpreter(*m);
}

TEST(CodegenModels, UnetSmall) {
  // Largest batch first: the arena is kept and reused by the smaller one.
  auto m = fromResFile(example("unet_small"));
  expectMatchesInterpreter(*m, {3, 1});
}

TEST(CodegenModels, PreactResnet164) {
  auto m = fromResFile(example("preact_resnet164"));
  expectMatchesInterpreter(*m, {1, 2});
}

TEST(CodegenModels, Resnet1001) {
  // 333 blocks, 1000 batch norms: few distinct kernels, many calls.
  auto m = fromResFile(example("resnet1001"));
  expectMatchesInterpreter(*m, {1});
}

TEST(CodegenModels, Resnet20PlanIsDeduplicatedAndReusesMemory) {
  auto m = fromResFile(example("resnet20"));
  CompileOptions options;
  options.cache = sharedCache();
  auto compiled = CompiledModel::compile(*m->module, options);
  ASSERT_TRUE(succeeded(compiled)) << m->diagnostics;
  // 19 convs + fc + the layout conversion at each end, but only the
  // distinct signatures compile: the input and output conversions, the
  // stem, two kernels for stage 1 (conv+BN+relu, conv+BN+sum+relu) and
  // four for each of stages 2 and 3 (their first block's strided conv and
  // projection shortcut add two), the global pool and the classifier.
  EXPECT_EQ(compiled->numKernels(), 15u);
  EXPECT_GE(compiled->numCalls(), 22);
  EXPECT_LT(compiled->arenaFloatsPerSample(),
            compiled->unsharedFloatsPerSample() / 3);
}

std::string tiedOde(int count) {
  return R"(
residual step(c) { conv(c, 3) as conv; relu; scale branch = 0.1; scale output = 0.7071 }
model tied_ode {
  input x: f32[N, 8, 16, 16]
  conv(32, 3) as stem
  repeat )" +
         std::to_string(count) +
         R"( tied step(32) as ode
  global_avgpool
  dense(4) as head
}
)";
}

TEST(CodegenModels, TiedRepeatCompilesOneBody) {
  // A private cache each, so that both compile from scratch.
  auto two = fromRes(tiedOde(2));
  auto twelve = fromRes(tiedOde(12));
  auto a = CompiledModel::compile(*two->module);
  auto b = CompiledModel::compile(*twelve->module);
  ASSERT_TRUE(succeeded(a)) << two->diagnostics;
  ASSERT_TRUE(succeeded(b)) << twelve->diagnostics;
  EXPECT_EQ(a->numKernelsCompiled(), b->numKernelsCompiled());
  EXPECT_EQ(a->numKernels(), b->numKernels());
  EXPECT_EQ(a->arenaFloatsPerSample(), b->arenaFloatsPerSample());
  EXPECT_EQ(b->numCalls() - a->numCalls(), 10);
  // And the twelve-step model still computes what the interpreter does.
  expectMatchesInterpreter(*twelve, {2});
}

} // namespace
