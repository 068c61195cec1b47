// Residual blocks (identity and projection shortcuts, scales, the after
// activation, pre-activation blocks, branches whose end cannot absorb the
// sum) and tied repeats, against the interpreter.
#include "CodegenTestUtil.h"

using namespace res::codegen::testing;

namespace {

void check(const std::string &text) {
  auto m = fromRes(text);
  ASSERT_TRUE(m->module);
  expectMatchesInterpreter(*m);
}

TEST(CodegenStructure, IdentityShortcutWithAfter) {
  check(R"(
residual b(c) { conv(c, 3) as c1; bn as n1; relu; conv(c, 3) as c2; bn as n2; after relu }
model m { input x: f32[N, 16, 8, 8]
  b(16) as blk }
)");
}

TEST(CodegenStructure, ProjectionShortcutAndScales) {
  check(R"(
residual b(c, stride = 1) {
  conv(c, 3, stride = stride, bias = false) as c1; bn as n1; relu
  conv(c, 3, bias = false) as c2
  shortcut { conv(c, 1, stride = stride, bias = false) as s; bn as sn }
  scale branch = 0.25
  scale output = 1.5
  after tanh
}
model m { input x: f32[N, 8, 10, 10]
  b(32, stride = 2) as blk }
)");
}

TEST(CodegenStructure, PreActivationBlocks) {
  check(R"(
residual pre(c) { bn as n1; relu; conv(c, 3, bias = false) as c1; bn as n2; relu; conv(c, 3, bias = false) as c2 }
model m { input x: f32[N, 16, 8, 8]
  repeat 2 pre(16) as blk
  bn as final; relu; global_avgpool }
)");
}

TEST(CodegenStructure, BranchEndingInPoolOrActivation) {
  // A pool cannot take the sum into its epilogue: an elementwise kernel
  // does; a branch ending in an activation keeps it before the sum.
  check(R"(
residual poolb(c) { conv(c, 3) as c1; maxpool(3, stride = 1, pad = 1); scale output = 0.5 }
residual actb(c) { conv(c, 3) as c1; relu; scale branch = 0.1 }
model m { input x: f32[N, 16, 6, 6]
  poolb(16) as p; actb(16) as a }
)");
}

TEST(CodegenStructure, DenseResidual) {
  check(R"(
residual mlp(d) { dense(2 * d) as fc1; gelu; dense(d) as fc2; after sigmoid }
model m { input x: f32[N, 32]
  repeat 2 mlp(32) as blocks; dense(5) as head }
)");
}

TEST(CodegenStructure, TiedRepeat) {
  check(R"(
residual step(c) { conv(c, 3) as conv; relu; scale branch = 0.1; scale output = 0.7071 }
model m { input x: f32[N, 8, 8, 8]
  conv(16, 3) as stem
  repeat 5 tied step(16) as ode
  global_avgpool }
)");
}

TEST(CodegenStructure, TiedRepeatOfPlainBlock) {
  // A plain (non-residual) block: the yield comes from a conv epilogue.
  check(R"(
block cbr(c) { conv(c, 3) as c; relu }
model m { input x: f32[N, 16, 6, 6]
  repeat 3 tied cbr(16) as t; repeat 1 tied cbr(16) as u }
)");
}

TEST(CodegenStructure, NestedTiedRepeat) {
  check(R"(
residual step(c) { conv(c, 3) as conv; tanh; scale branch = 0.2 }
block inner(c) { repeat 2 tied step(c) as s }
model m { input x: f32[N, 16, 5, 5]
  repeat 3 tied inner(16) as outer }
)");
}

} // namespace
