// Parameter naming (docs/language.md, "How parameters are named"): scopes
// joined by dots, repeat numbering, tied repeats, generated names, and source
// locations on every op.
#include "FrontendTestUtil.h"

#include <gtest/gtest.h>

using namespace res::test;

namespace {

std::vector<std::string> names(Compiled &c) {
  std::vector<std::string> out;
  for (auto &[name, _] : c.params())
    out.push_back(name);
  return out;
}

bool has(Compiled &c, const std::string &name) {
  return c.params().count(name) != 0;
}

} // namespace

TEST(Naming, GeneratedNamesSkipExplicitOnes) {
  Compiled c = compile("model m {\n  input x: f32[N, 3, 8, 8]\n"
                       "  conv(4, 3)\n  conv(4, 3) as conv0\n  conv(4, 3)\n"
                       "  bn\n}\n");
  ASSERT_TRUE(c.ok()) << c.diagnostics;
  // The first unnamed conv may not take `conv0`: a later statement has it.
  EXPECT_TRUE(has(c, "conv0.weight"));
  EXPECT_TRUE(has(c, "conv1.weight"));
  EXPECT_TRUE(has(c, "conv2.weight"));
  EXPECT_TRUE(has(c, "bn0.running_mean"));
  EXPECT_EQ(c.params().size(), 3u * 2 + 4);
  EXPECT_EQ(llvm::cast<res::Conv2DOp>(c.layer("conv1"))->getLoc(),
            mlir::Location(
                mlir::FileLineColLoc::get(c.context.get(), "test.res", 3, 3)));
}

TEST(Naming, RepeatsNumberTheirCopies) {
  Compiled c = compile("residual r(c) { conv(c, 3, bias = false) as conv }\n"
                       "model m {\n  input x: f32[N, 4, 8, 8]\n"
                       "  repeat 2 r(4) as a\n  repeat 2 r(4) as b from 5\n"
                       "  repeat 3 tied r(4) as t\n  repeat 2 r(4)\n}\n");
  ASSERT_TRUE(c.ok()) << c.diagnostics;
  EXPECT_EQ(names(c),
            (std::vector<std::string>{"a.0.conv.weight", "a.1.conv.weight",
                                      "b.5.conv.weight", "b.6.conv.weight",
                                      "r0.0.conv.weight", "r0.1.conv.weight",
                                      "t.conv.weight"}));
}

TEST(Naming, DuplicateNamesAreErrors) {
  Compiled c = compile("model m {\n  input x: f32[N, 3, 8, 8]\n"
                       "  conv(4, 3) as c\n  conv(4, 3) as c\n}\n");
  EXPECT_FALSE(c.ok());
  EXPECT_NE(c.diagnostics.find("test.res:4:17: error: the name 'c' is "
                               "already used in this scope"),
            std::string::npos)
      << c.diagnostics;
}

// A gate names its statements in the enclosing scope, or under its `as`
// name; `gate` itself is a statement, not a name a definition may take.
TEST(Naming, GatesNameTheirStatements) {
  Compiled c =
      compile("model m {\n  input x: f32[N, 8, 4, 4]\n"
              "  gate { global_avgpool(keep = true); conv(2, 1) as fc1; relu;\n"
              "         conv(8, 1) as fc2; hardsigmoid } as block.2\n"
              "  gate { global_avgpool; dense(8) as se; sigmoid }\n}\n");
  ASSERT_TRUE(c.ok()) << c.diagnostics;
  auto params = c.params();
  EXPECT_EQ(params["block.2.fc1.weight"], (std::vector<int64_t>{2, 8, 1, 1}));
  EXPECT_EQ(params["block.2.fc2.bias"], (std::vector<int64_t>{8}));
  EXPECT_EQ(params["se.weight"], (std::vector<int64_t>{8, 8}));
  Compiled named = compile("block gate(c) { conv(c, 1) as f }\n"
                           "model m {\n  input x: f32[N, 8, 4, 4]\n}\n");
  EXPECT_FALSE(named.ok());
  EXPECT_NE(named.diagnostics.find("'gate' is a built-in statement"),
            std::string::npos)
      << named.diagnostics;
}

TEST(Naming, BlocksNestScopesAndNamedArguments) {
  Compiled c = compile(
      "block stem(c, k = 3) { conv(c, k, bias = false) as conv; bn as bn }\n"
      "residual r(c) {\n  stem(k = 1, c = c) as pre\n  relu\n"
      "  shortcut { conv(c, 1) as proj }\n}\n"
      "model m {\n  input x: f32[N, 3, 8, 8]\n  stem(8)\n  r(in_ch) as "
      "blk\n}\n");
  EXPECT_FALSE(c.ok()); // in_ch is unknown
  EXPECT_NE(c.diagnostics.find("unknown name 'in_ch'"), std::string::npos)
      << c.diagnostics;
  Compiled ok = compile(
      "block stem(c, k = 3) { conv(c, k, bias = false) as conv; bn as bn }\n"
      "residual r(c) {\n  stem(k = 1, c = in_channels * 2) as pre\n  relu\n"
      "  shortcut { conv(c * 2, 1) as proj }\n}\n"
      "model m {\n  input x: f32[N, 3, 8, 8]\n  stem(8)\n  r(8) as blk\n}\n");
  ASSERT_TRUE(ok.ok()) << ok.diagnostics;
  EXPECT_EQ(names(ok), (std::vector<std::string>{
                           "blk.pre.bn.bias", "blk.pre.bn.running_mean",
                           "blk.pre.bn.running_var", "blk.pre.bn.weight",
                           "blk.pre.conv.weight", "blk.proj.bias",
                           "blk.proj.weight", "stem0.bn.bias",
                           "stem0.bn.running_mean", "stem0.bn.running_var",
                           "stem0.bn.weight", "stem0.conv.weight"}));
  EXPECT_EQ(ok.params()["blk.pre.conv.weight"],
            (std::vector<int64_t>{16, 8, 1, 1}));
}

// `{i}` in a repeat's name takes the copy's index where it stands (as
// torchvision names encoder layers), instead of a trailing `.i`.
TEST(Naming, RepeatIndexInsideTheName) {
  Compiled c = compile("residual b(c) { conv(c, 3) as conv }\n"
                       "model m {\n  input x: f32[N, 4, 8, 8]\n"
                       "  repeat 2 b(4) as enc.layer_{i}.blk\n"
                       "  repeat 2 b(4) as enc.layer_{i} from 2\n}\n");
  ASSERT_TRUE(c.ok()) << c.diagnostics;
  EXPECT_EQ(names(c), (std::vector<std::string>{
                          "enc.layer_0.blk.conv.bias",
                          "enc.layer_0.blk.conv.weight",
                          "enc.layer_1.blk.conv.bias",
                          "enc.layer_1.blk.conv.weight",
                          "enc.layer_2.conv.bias",
                          "enc.layer_2.conv.weight",
                          "enc.layer_3.conv.bias",
                          "enc.layer_3.conv.weight",
                      }));
  Compiled clash = compile("residual b(c) { conv(c, 3) as conv }\n"
                           "model m {\n  input x: f32[N, 4, 8, 8]\n"
                           "  b(4) as layer_1\n"
                           "  repeat 2 b(4) as layer_{i}\n}\n");
  EXPECT_NE(clash.diagnostics.find("'layer_1' is already used"),
            std::string::npos)
      << clash.diagnostics;
}

// An inline residual names its statements in the enclosing scope unless it
// has `as NAME`; its clauses work as in a residual definition.
TEST(Naming, InlineResidualsNameInTheEnclosingScope) {
  Compiled c = compile(
      "block layer(d) {\n"
      "  residual { bn as ln_1; conv(d, 3) as attn }\n"
      "  residual { conv(d, 1) as mlp.0; scale branch = 0.5; after relu }\n"
      "}\n"
      "model m {\n  input x: f32[N, 8, 4, 4]\n"
      "  layer(8) as layers.0\n"
      "  residual { conv(16, 3, stride = 2) as c\n"
      "             shortcut when changed { conv(16, 1, stride = 2) as d } }"
      " as down\n}\n");
  ASSERT_TRUE(c.ok()) << c.diagnostics;
  EXPECT_TRUE(has(c, "layers.0.ln_1.running_var"));
  EXPECT_TRUE(has(c, "layers.0.attn.weight"));
  EXPECT_TRUE(has(c, "layers.0.mlp.0.weight"));
  EXPECT_TRUE(has(c, "down.c.weight"));
  EXPECT_TRUE(has(c, "down.d.weight"));
  auto scaled =
      llvm::dyn_cast_or_null<res::ResidualOp>(c.layer("layers.0.residual1"));
  ASSERT_TRUE(scaled) << "the second inline residual's op";
  EXPECT_EQ(scaled.getBranchScale().convertToDouble(), 0.5);
  EXPECT_TRUE(scaled.getAfter().has_value());
  auto down = llvm::dyn_cast_or_null<res::ResidualOp>(c.layer("down"));
  ASSERT_TRUE(down);
  EXPECT_FALSE(down.hasIdentityShortcut());
}

// dropout(p) is the identity at inference: p = 0 leaves no op, p > 0 an
// identity activation that keeps p for training to refuse.
TEST(Naming, DropoutIsTheIdentityAndKeepsItsP) {
  Compiled c = compile("model m {\n  input x: f32[N, 16]\n  dense(8) as a\n"
                       "  dropout(0.25) as drop\n  dropout(p = 0)\n"
                       "  dense(4) as fc\n}\n");
  ASSERT_TRUE(c.ok()) << c.diagnostics;
  auto drop = llvm::dyn_cast_or_null<res::ActivationOp>(c.layer("drop"));
  ASSERT_TRUE(drop);
  EXPECT_EQ(drop.getKind(), res::Activation::identity);
  auto p = drop->getAttrOfType<mlir::FloatAttr>(res::kDropoutAttr);
  ASSERT_TRUE(p);
  EXPECT_EQ(p.getValueAsDouble(), 0.25);
  EXPECT_EQ(c.layer("dropout0"), nullptr) << "dropout(0) makes no op";
}
