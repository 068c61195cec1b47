// Shape inference of each statement, checked against PyTorch's formulas.
#include "FrontendTestUtil.h"

#include <gtest/gtest.h>

using namespace res::test;

namespace {

std::vector<int64_t> outputShape(const std::string &input,
                                 const std::string &body) {
  Compiled c =
      compile("model m {\n  input x: f32" + input + "\n" + body + "\n}\n");
  EXPECT_TRUE(c.ok()) << body << "\n" << c.diagnostics;
  if (!c.ok())
    return {};
  return Compiled::shape(c.function().front().getTerminator()->getOperand(0));
}

using Shape = std::vector<int64_t>;

} // namespace

TEST(Shapes, Convolution) {
  EXPECT_EQ(outputShape("[N, 3, 32, 32]", "conv(16, 3)"),
            (Shape{-1, 16, 32, 32}));
  EXPECT_EQ(outputShape("[N, 3, 224, 224]", "conv(64, 7, stride = 2, pad = 3)"),
            (Shape{-1, 64, 112, 112}));
  EXPECT_EQ(outputShape("[N, 3, 10, 10]", "conv(8, 3, pad = 0, dilation = 2)"),
            (Shape{-1, 8, 6, 6}));
  EXPECT_EQ(outputShape("[2, 8, 9, 9]", "conv(8, 3, stride = 2, groups = 8)"),
            (Shape{2, 8, 5, 5}));
  // Dynamic spatial sizes stay dynamic.
  EXPECT_EQ(outputShape("[N, 3, H, W]", "conv(4, 3, stride = 2)"),
            (Shape{-1, 4, -1, -1}));
}

TEST(Shapes, PoolingAndReshaping) {
  EXPECT_EQ(outputShape("[N, 64, 112, 112]", "maxpool(3, stride = 2, pad = 1)"),
            (Shape{-1, 64, 56, 56}));
  EXPECT_EQ(outputShape("[N, 4, 9, 9]", "avgpool(2)"), (Shape{-1, 4, 4, 4}));
  EXPECT_EQ(outputShape("[N, 4, 9, 9]", "global_avgpool"), (Shape{-1, 4}));
  EXPECT_EQ(outputShape("[N, 4, 3, 5]", "flatten"), (Shape{-1, 60}));
  EXPECT_EQ(outputShape("[N, 4, 3, 5]", "upsample(3)"), (Shape{-1, 4, 9, 15}));
  EXPECT_EQ(outputShape("[N, 4, 3, 5]", "flatten; dense(7); softmax"),
            (Shape{-1, 7}));
  EXPECT_EQ(outputShape("[N, 4, 8, 8]", "save a; conv(6, 1); concat a"),
            (Shape{-1, 10, 8, 8}));
}

// layernorm and channel_scale keep the shape; their parameters are named as
// PyTorch names them: `NAME.weight`/`NAME.bias` of [C] or [D] (none without
// the affine), and the layer scale by the statement's own name, [C, 1, 1]
// for an image and [D] for a vector.
TEST(Shapes, LayerNormAndChannelScale) {
  EXPECT_EQ(outputShape("[N, 96, 14, 14]", "layernorm"),
            (Shape{-1, 96, 14, 14}));
  EXPECT_EQ(outputShape("[N, 768]", "layernorm(eps = 1e-6)"), (Shape{-1, 768}));
  EXPECT_EQ(outputShape("[N, 8, H, W]", "channel_scale"),
            (Shape{-1, 8, -1, -1}));
  Compiled c = compile("model m {\n  input x: f32[N, 8, 4, 4]\n"
                       "  layernorm as norm\n  channel_scale(init = 0.1) as "
                       "gamma\n  layernorm(affine = false) as plain\n"
                       "  global_avgpool\n  layernorm as head.norm\n"
                       "  channel_scale as head.scale\n}\n");
  ASSERT_TRUE(c.ok()) << c.diagnostics;
  auto params = c.params();
  EXPECT_EQ(params.size(), 6u);
  EXPECT_EQ(params["norm.weight"], (Shape{8}));
  EXPECT_EQ(params["norm.bias"], (Shape{8}));
  EXPECT_EQ(params["gamma"], (Shape{8, 1, 1}));
  EXPECT_EQ(params["head.norm.weight"], (Shape{8}));
  EXPECT_EQ(params["head.norm.bias"], (Shape{8}));
  EXPECT_EQ(params["head.scale"], (Shape{8}));
}

// The frontend's tensors are [N, C, H, W] or [N, D], the two ranks these
// statements take (the verifier refuses others, tests/lit/dialect); what a
// statement can get wrong is its arguments.
TEST(Shapes, LayerNormEpsMustBePositive) {
  Compiled eps = compile("model m {\n  input x: f32[N, 4]\n"
                         "  layernorm(eps = 0)\n}\n");
  EXPECT_FALSE(eps.ok());
  EXPECT_NE(eps.diagnostics.find("layernorm: 'eps' must be positive, got 0"),
            std::string::npos)
      << eps.diagnostics;
}

TEST(Shapes, ResidualShortcutWhenChanged) {
  const std::string block =
      "residual b(c, stride = 1) {\n  conv(c, 3, stride = stride) as c1\n"
      "  shortcut when changed { conv(c, 1, stride = stride) as ds }\n"
      "  after relu\n}\n";
  Compiled same = compile(block + "model m {\n  input x: f32[N, 8, 8, 8]\n"
                                  "  b(8) as l\n}\n");
  ASSERT_TRUE(same.ok()) << same.diagnostics;
  auto r = llvm::cast<res::ResidualOp>(same.layer("l"));
  EXPECT_TRUE(r.hasIdentityShortcut());
  EXPECT_EQ(r.getAfter(), res::Activation::relu);

  Compiled changed = compile(block + "model m {\n  input x: f32[N, 8, 8, 8]\n"
                                     "  b(16, stride = 2) as l\n}\n");
  ASSERT_TRUE(changed.ok()) << changed.diagnostics;
  auto r2 = llvm::cast<res::ResidualOp>(changed.layer("l"));
  EXPECT_FALSE(r2.hasIdentityShortcut());
  EXPECT_EQ(Compiled::shape(r2.getResult()), (Shape{-1, 16, 4, 4}));
}

TEST(Shapes, ShapeChangeWithoutShortcutIsAnError) {
  Compiled c = compile("residual b(c) { conv(c, 3) as c1 }\n"
                       "model m {\n  input x: f32[N, 8, 8, 8]\n"
                       "  b(16) as l\n}\n");
  EXPECT_FALSE(c.ok());
  EXPECT_NE(c.diagnostics.find("test.res:4:3: error: residual block 'b' "
                               "changes the shape from [N, 8, 8, 8] to "
                               "[N, 16, 8, 8] but has no shortcut"),
            std::string::npos)
      << c.diagnostics;
}

// Adding a saved tensor with fewer channels zero-pads it only when the
// statement says so (`add a pad`); plain `add` names the fix. More channels
// than the current tensor are an error either way.
TEST(Shapes, AddOfFewerSavedChannelsNeedsPad) {
  Compiled c = compile("model m {\n  input x: f32[N, 4, 8, 8]\n"
                       "  save a\n  conv(8, 1)\n  add a pad\n}\n");
  ASSERT_TRUE(c.ok()) << c.diagnostics;
  EXPECT_EQ(c.diagnostics.find("warning"), std::string::npos) << c.diagnostics;
  Compiled plain = compile("model m {\n  input x: f32[N, 4, 8, 8]\n"
                           "  save a\n  conv(8, 1)\n  add a\n}\n");
  EXPECT_FALSE(plain.ok());
  EXPECT_NE(plain.diagnostics.find("5:3: error: cannot add 'a' of shape "
                                   "[N, 4, 8, 8] to the current tensor of "
                                   "shape [N, 8, 8, 8]: it has 4 channels, "
                                   "not 8; write 'add a pad'"),
            std::string::npos)
      << plain.diagnostics;
  for (const char *add : {"add a", "add a pad"}) {
    Compiled bad = compile(std::string("model m {\n  input x: f32[N, 8, 8, "
                                       "8]\n  save a\n  conv(4, 1)\n  ") +
                           add + "\n}\n");
    EXPECT_FALSE(bad.ok()) << add;
  }
}

TEST(Shapes, DynamicSpatialSizesStillSelectTheShortcut) {
  const std::string block =
      "residual b(c, stride = 1) {\n  conv(c, 3, stride = stride) as c1\n"
      "  shortcut when changed { avgpool(stride) }\n}\n";
  // With H and W chosen at run time the types before and after a stride-2
  // branch are equal (`?`), yet the shape changes: the shortcut applies.
  Compiled c =
      compile(block + "model m {\n  input x: f32[N, 4, H, W]\n"
                      "  b(4, stride = 2) as down\n  b(4) as same\n}\n");
  ASSERT_TRUE(c.ok()) << c.diagnostics;
  EXPECT_FALSE(
      llvm::cast<res::ResidualOp>(c.layer("down")).hasIdentityShortcut());
  EXPECT_TRUE(
      llvm::cast<res::ResidualOp>(c.layer("same")).hasIdentityShortcut());
  Compiled bad = compile("residual b { maxpool(2) }\nmodel m {\n"
                         "  input x: f32[N, 4, H, W]\n  b as l\n}\n");
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.diagnostics.find("may change the spatial size"),
            std::string::npos)
      << bad.diagnostics;
}

// Tokens [N, T, D]: an image becomes H*W tokens of C features, the class
// token adds one, token(i) takes one out; layers on features work per
// token. Parameters carry torchvision's and nn.MultiheadAttention's names.
TEST(Shapes, Tokens) {
  EXPECT_EQ(outputShape("[N, 8, 4, 6]", "tokens"), (Shape{-1, 24, 8}));
  EXPECT_EQ(outputShape("[N, 8, 4, 6]", "tokens; class_token"),
            (Shape{-1, 25, 8}));
  EXPECT_EQ(outputShape("[N, 8, 4, 6]", "tokens; token(23)"), (Shape{-1, 8}));
  EXPECT_EQ(outputShape("[N, 5, 12]", "layernorm; dense(20); attention(4)"),
            (Shape{-1, 5, 20}));
  EXPECT_EQ(outputShape("[N, 5, 12]", "channel_scale; save a; gelu; add a"),
            (Shape{-1, 5, 12}));
  Compiled c = compile("model m {\n  input x: f32[N, 3, 8, 8]\n"
                       "  conv(12, 4, stride = 4, pad = 0) as proj\n"
                       "  tokens\n  class_token as cls\n"
                       "  pos_embedding as enc.pos\n"
                       "  layernorm as ln\n  attention(3) as attn\n"
                       "  attention(2, bias = false) as plain\n"
                       "  channel_scale as ls\n  token(0)\n}\n");
  ASSERT_TRUE(c.ok()) << c.diagnostics;
  auto params = c.params();
  EXPECT_EQ(params["cls"], (Shape{1, 1, 12}));
  EXPECT_EQ(params["enc.pos"], (Shape{1, 5, 12}));
  EXPECT_EQ(params["ln.weight"], (Shape{12}));
  EXPECT_EQ(params["attn.in_proj_weight"], (Shape{36, 12}));
  EXPECT_EQ(params["attn.in_proj_bias"], (Shape{36}));
  EXPECT_EQ(params["attn.out_proj.weight"], (Shape{12, 12}));
  EXPECT_EQ(params["attn.out_proj.bias"], (Shape{12}));
  EXPECT_EQ(params["plain.in_proj_weight"], (Shape{36, 12}));
  EXPECT_EQ(params.count("plain.in_proj_bias"), 0u);
  EXPECT_EQ(params.count("plain.out_proj.bias"), 0u);
  EXPECT_EQ(params["ls"], (Shape{12}));
}
