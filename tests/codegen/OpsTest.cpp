// Each op kind through the JIT against the interpreter, with the attributes
// that change the generated code: strides, padding, dilation, groups
// (depthwise included), missing biases, padded pools, channel counts that
// are not a multiple of the vector width, and batch sizes 1 and 3 through
// one compiled kernel (the batch stays dynamic).
#include "CodegenTestUtil.h"

#include "compiler/codegen/Lowering.h"

#include <regex>

using namespace res::codegen::testing;

namespace {

/// A one-model .res file with input `input` ("3, 8, 8") and `body`.
std::string model(const std::string &input, const std::string &body) {
  return "model m {\n  input x: f32[N, " + input + "]\n" + body + "\n}\n";
}

void check(const std::string &input, const std::string &body) {
  auto m = fromRes(model(input, body));
  ASSERT_TRUE(m->module);
  expectMatchesInterpreter(*m);
}

/// A ConvNeXt block: depthwise conv, layer norm over C, two 1x1 convs
/// with gelu, layer scale, residual sum; compared with the interpreter.
void checkFusedScale() {
  auto m = fromRes("residual cnblock(c) {\n  conv(c, 7, groups = c) as dw\n"
                   "  layernorm as norm\n  conv(4 * c, 1) as pw1\n  gelu\n"
                   "  conv(c, 1) as pw2\n  channel_scale as gamma\n}\n" +
                   model("12, 6, 6", "cnblock(12) as b1; cnblock(12) as b2"));
  ASSERT_TRUE(m->module);
  expectMatchesInterpreter(*m);
}

TEST(CodegenOps, ConvStride2WithBias) {
  check("4, 9, 9", "conv(32, 3, stride = 2) as c");
}

TEST(CodegenOps, ConvDilationNoBias) {
  check("8, 10, 10", "conv(16, 3, dilation = 2, pad = 2, bias = false) as c");
}

TEST(CodegenOps, ConvNoPaddingOddChannels) {
  // 24 output channels: vectors of 8, tiles of 3 vectors.
  check("3, 11, 7", "conv(24, 5, pad = 0) as c");
}

TEST(CodegenOps, ConvFewOutputChannels) {
  // Fewer channels than a vector: the row-vectorised schedule.
  check("6, 12, 12", "conv(3, 3) as c");
}

/// Checks `text` against the interpreter after making sure one of its
/// kernels has a schedule whose description matches `schedule` (a variant
/// of ConvKernel.cpp), so a change of its conditions cannot leave the
/// variant untested.
void checkSchedule(const std::string &text, const std::string &schedule) {
  auto m = fromRes(text);
  ASSERT_TRUE(m->module);
  bool found = false;
  std::string all;
  for (const std::string &s : kernelSchedules(*m)) {
    found |= std::regex_search(s, std::regex(schedule));
    all += "\n  " + s;
  }
  EXPECT_TRUE(found) << "no kernel schedule matches '" << schedule
                     << "':" << all;
  expectMatchesInterpreter(*m);
}

TEST(CodegenOps, ConvWindowColumnsInnermost) {
  // One channel vector, rows of 11: the last tile is shifted inwards.
  checkSchedule(model("16, 11, 11", "conv(16, 3) as c; relu"),
                "window columns innermost");
  // A 5x5 window, dilated, unpadded.
  checkSchedule(model("8, 14, 13", "conv(16, 5, dilation = 2, pad = 0) as c"),
                "window columns innermost");
}

void checkChunked(const std::string &text) {
  checkSchedule(text, "^conv: chunks of");
}

TEST(CodegenOps, ConvChunkedReduction) {
  // Padded (the zero-padded copy of the input), rows of 7 pixels.
  checkChunked(model("128, 9, 7", "conv(32, 3) as c"));
  // Unpadded and strided, without a bias, activation fused.
  checkChunked(model("160, 10, 10",
                     "conv(48, 3, stride = 2, pad = 0, bias = false) "
                     "as c; relu"));
  // Dilated, batch norm folded into the epilogue.
  checkChunked(model("128, 12, 12",
                     "conv(64, 3, dilation = 2, pad = 2) as c; bn as n; relu"));
  // 64 input channels are only two chunks: the tiled schedule. (Dilated:
  // undilated 3x3 windows at stride 1 take the Winograd kernel.)
  checkSchedule(model("64, 8, 8", "conv(64, 3, dilation = 2, pad = 2) as c"),
                "^conv: tile");
  // Residual sum and after-activation in the epilogue.
  checkChunked("residual blk(c) {\n  conv(c, 3, dilation = 2, pad = 2) as "
               "conv1\n  relu\n  conv(c, 3, dilation = 2, pad = 2) as "
               "conv2\n  after relu\n}\n" +
               model("128, 8, 8", "blk(128) as b"));
}

TEST(CodegenOps, ConvWinograd) {
  // Padded, rows of 11 tiles: whatever the register tile (2-8 tiles), the
  // last group is shifted inwards; residual sum and activation fused.
  checkSchedule("residual blk(c) {\n  conv(c, 3) as conv1\n  relu\n"
                "  conv(c, 3) as conv2\n  after relu\n}\n" +
                    model("64, 6, 22", "blk(64) as b"),
                "^conv: winograd.* x [2-8] tiles, .*one row of tiles per task");
  // Unpadded (input 18x12 -> output 16x10), 32 input and 128 output
  // channels, batch norm folded into the transformed weights.
  checkSchedule(
      model("32, 18, 12", "conv(128, 3, pad = 0, bias = false) as c; bn as n"),
      "^conv: winograd");
  // Odd rows and columns: the last tiles store one pixel; more than 128
  // input channels: a task per image and channel block.
  checkSchedule(model("160, 9, 7", "conv(64, 3) as c; relu"),
                "^conv: winograd.*one image and channel block per task");
  // Fewer than 4 vectors of output channels keep the direct convolution.
  checkSchedule(model("64, 8, 8", "conv(48, 3) as c"), "^conv: tile");
}

/// The calls of `text`'s plan whose result shares its in-place operand's
/// memory; the model must also match the interpreter.
int callsInPlace(const std::string &text) {
  auto m = fromRes(text);
  res::codegen::Plan plan;
  EXPECT_TRUE(mlir::succeeded(res::codegen::lowerToPlan(m->function(), plan)));
  int n = 0;
  for (const res::codegen::Step &s : plan.steps) {
    if (s.kind != res::codegen::Step::Call)
      continue;
    const int k = plan.kernels[s.kernel].inPlaceOperand;
    n += k >= 0 &&
         plan.slots[s.result].offset == plan.slots[s.operands[k]].offset;
  }
  expectMatchesInterpreter(*m);
  return n;
}

TEST(CodegenOps, ConvWritesOverDyingResidual) {
  // Bottlenecks: the 1x1 expansion's residual, the block's input, is read
  // for the last time there; the second block's is the first's result.
  // Rows of 9 pixels: tiles of 3, where the tiles the cost model prefers
  // (5 pixels, the second shifted inwards) would compute pixels twice.
  const std::string bottleneck =
      "residual blk(c) {\n  conv(8, 1) as conv1\n  relu\n"
      "  conv(c, 1) as conv3\n  after relu\n}\n";
  EXPECT_EQ(callsInPlace(bottleneck +
                         model("32, 6, 9", "blk(32) as b1; blk(32) as b2")),
            2);
  // A branch of one conv: the residual is also the conv's input, which
  // every output channel block reads, so it keeps its own memory.
  EXPECT_EQ(callsInPlace("residual one(c) {\n  conv(c, 1) as conv\n}\n" +
                         model("32, 6, 6", "one(32) as b")),
            0);
}

/// Checks a conv of 16 output channels and 13 output rows against the
/// interpreter after making sure its batch-1 tasks span several tile rows
/// with a guarded last task per image. The count depends on the target: a
/// tile row is one row of one channel tile, and the tile the kernel chose
/// (read from its schedule) is 16 channels with 16-lane vectors (13 tile
/// rows per image, 3 per task) but 8 with 8 lanes (26 rows, 6 per task).
/// At batch 1 rowsPerTask (ConvKernel.cpp) gives a quarter of the image's
/// tile rows: these rows are far below a task's 2M multiply-adds.
void checkRowsPerTask(const std::string &text) {
  auto m = fromRes(text);
  ASSERT_TRUE(m->module);
  const std::regex re("tile ([0-9]+) channels x [0-9]+ pixels, vector "
                      "[0-9]+, ([0-9]+) rows per task");
  int tileChannels = 0, rows = 0;
  std::string all;
  for (const std::string &s : kernelSchedules(*m)) {
    std::smatch match;
    if (!tileChannels && std::regex_search(s, match, re)) {
      tileChannels = std::stoi(match[1]);
      rows = std::stoi(match[2]);
    }
    all += "\n  " + s;
  }
  ASSERT_GT(tileChannels, 0)
      << "no tiled conv schedule with rows per task:" << all;
  const int tileRowsPerImage = 13 * ((16 + tileChannels - 1) / tileChannels);
  EXPECT_EQ(rows, std::max(1, tileRowsPerImage / 4)) << all;
  EXPECT_GE(rows, 2) << all;
  EXPECT_NE(tileRowsPerImage % rows, 0) << "no guarded last task:" << all;
  expectMatchesInterpreter(*m);
}

TEST(CodegenOps, ConvSeveralRowsPerTask) {
  // Batched, tasks of about 2M multiply-adds span images (batch 3, the
  // second task guarded); batch 1 keeps a quarter of an image per task.
  checkRowsPerTask(model("16, 13, 13", "conv(16, 3) as c"));
  checkRowsPerTask(model("32, 13, 13", "conv(16, 3) as c"));
}

TEST(CodegenOps, ConvGroups) {
  check("8, 8, 8", "conv(16, 3, groups = 4) as c");
}

TEST(CodegenOps, ConvDepthwise) {
  check("16, 9, 9", "conv(16, 3, groups = 16, bias = false) as dw");
}

// The depthwise schedule: 3x3, 5x5 and 7x7 windows at strides 1 and 2,
// channel counts of 1, 2 and 4 vectors, rows that tiles do not divide,
// without padding and with it (copied per task).
TEST(CodegenOps, ConvDepthwiseWindows) {
  check("24, 9, 11", "conv(24, 5, stride = 2, groups = 24) as dw; relu6");
  check("40, 13, 13", "conv(40, 7, groups = 40) as dw; bn as n");
  check("20, 6, 7", "conv(20, 3, pad = 0, groups = 20, bias = false) as dw");
  check("64, 15, 15", "conv(64, 3, stride = 2, groups = 64) as dw; silu");
}

TEST(CodegenOps, ConvDepthwiseMultiplier) {
  check("16, 8, 8", "conv(32, 3, stride = 2, groups = 16) as dw");
}

TEST(CodegenOps, ConvOneByOne) {
  check("64, 7, 7", "conv(128, 1, stride = 2, bias = false) as c");
}

TEST(CodegenOps, ConvBatchNormActivationsFused) {
  check("8, 8, 8", "conv(16, 3, bias = false) as c; bn as n; relu");
  check("8, 8, 8", "conv(16, 3) as c; bn as n; gelu");
  check("8, 8, 8", "conv(16, 3) as c; sigmoid; bn as n; tanh");
}

TEST(CodegenOps, NonSquareWindowsFromIr) {
  // The DSL has square kernels only; the dialect allows any pair.
  auto m = fromMlir(R"mlir(
module {
  res.param @w : tensor<16x4x3x1xf32>
  res.param @b : tensor<16xf32>
  func.func @m(%x: tensor<?x4x9x8xf32>) -> tensor<?x16x5x6xf32> {
    %w = res.weight @w : tensor<16x4x3x1xf32>
    %b = res.weight @b : tensor<16xf32>
    %y = res.conv2d %x, %w, %b {dilation = array<i64: 2, 1>, groups = 1 : i64, padding = array<i64: 2, 0>, stride = array<i64: 2, 1>} : (tensor<?x4x9x8xf32>, tensor<16x4x3x1xf32>, tensor<16xf32>) -> tensor<?x16x5x8xf32>
    %p = res.max_pool2d %y {kernel = array<i64: 1, 3>, padding = array<i64: 0, 1>, stride = array<i64: 1, 1>} : (tensor<?x16x5x8xf32>) -> tensor<?x16x5x8xf32>
    %q = res.avg_pool2d %p {kernel = array<i64: 1, 3>, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>} : (tensor<?x16x5x8xf32>) -> tensor<?x16x5x6xf32>
    return %q : tensor<?x16x5x6xf32>
  }
}
)mlir");
  expectMatchesInterpreter(*m);
}

TEST(CodegenOps, Pools) {
  check("16, 9, 9", "maxpool(3, stride = 2, pad = 1)");
  check("16, 9, 9", "avgpool(3, stride = 2, pad = 1)");
  check("5, 8, 8", "avgpool(2)");
  check("20, 7, 7", "maxpool(2, stride = 1)");
}

TEST(CodegenOps, PoolSeveralRowsPerTask) {
  // 47 x 64 x 9 reads per row: tasks of 4 rows, the last of an image
  // guarded (47 rows), batched tasks spanning images.
  checkSchedule(model("64, 47, 47", "maxpool(3, stride = 1, pad = 1)"),
                "^max_pool: .*, 4 rows per task");
  checkSchedule(model("64, 47, 47", "avgpool(3, stride = 1, pad = 1)"),
                "^avg_pool: .*, 4 rows per task");
}

TEST(CodegenOps, StandaloneBatchNormAndActivations) {
  // After a pool nothing absorbs them: one elementwise kernel each chain.
  check("16, 8, 8", "maxpool(2); bn as n; relu");
  check("12, 6, 6", "avgpool(2); gelu; sigmoid; tanh; identity");
  check("12, 6, 6", "avgpool(2); relu6; silu; hardswish; hardsigmoid");
}

// Squeeze-and-excitation gates: the gate of [N, C, 1, 1] (MobileNetV3's
// convolutions) and of [N, C] (dense layers), multiplied into the input.
TEST(CodegenOps, Gates) {
  check("16, 7, 9", "conv(16, 3) as c; gate { global_avgpool(keep = true); "
                    "conv(4, 1) as f1; relu; conv(16, 1) as f2; hardsigmoid }");
  check("12, 6, 6", "gate { global_avgpool; dense(3) as f1; silu; "
                    "dense(12) as f2; sigmoid } as se; relu");
}

// Inline residuals lower as named ones do: the sum (scaled, with `after`)
// fused into the branch's last kernel, a shortcut as its own kernels.
TEST(CodegenOps, InlineResiduals) {
  check("12, 7, 7", "residual { conv(12, 3, groups = 12) as dw; bn as n; "
                    "conv(12, 1) as pw; scale branch = 0.25; after relu6 }");
  check("8, 8, 8", "residual { conv(16, 3, stride = 2) as c; shortcut when "
                   "changed { conv(16, 1, stride = 2) as d } } as down");
}

// Dense layers per pixel (ConvNeXt) run as 1x1 convolutions with the
// Linear's [O, I] weight; a batch norm after one folds into it.
TEST(CodegenOps, DensePerPixel) {
  check("12, 5, 7", "dense(20) as pw1; gelu; dense(12) as pw2");
  check("8, 4, 4", "dense(16, bias = false) as pw; bn as n; relu");
  check("12, 5, 5", "residual { conv(12, 7, groups = 12) as dw; "
                    "dense(48) as pw1; gelu; dense(12) as pw2 }");
}

// Layer norm over C of [N, C, H, W] (LayerNorm2d) and over D of [N, D],
// with and without its affine, channel counts off the vector width; the
// following activation fused into its epilogue.
TEST(CodegenOps, LayerNorm) {
  check("12, 5, 7", "layernorm as ln");
  check("13, 6, 5", "conv(13, 3) as c; layernorm(affine = false) as ln; gelu");
  check("19", "layernorm(eps = 1e-6) as ln; dense(7) as fc");
  check("6, 1, 3", "layernorm as ln; relu");
}

// channel_scale fused into the kernel before it (a conv's epilogue, after
// its activation), on its own after a pool, on [N, D], and ending a
// ConvNeXt-style residual branch whose sum it precedes.
TEST(CodegenOps, ChannelScale) {
  check("10, 5, 6", "conv(10, 1) as c; gelu; channel_scale(init = 0.5) as ls");
  check("11, 4, 4", "maxpool(2); channel_scale as ls");
  check("21", "channel_scale as ls; relu");
  checkFusedScale();
}

TEST(CodegenOps, MobileActivationsAsEpilogues) {
  // After a conv and a dense they are the producing kernel's epilogue,
  // as in MobileNetV2 (conv, bn, relu6) and EfficientNet (conv, bn, silu).
  check("8, 9, 9", "conv(16, 3) as c; bn as n; relu6");
  check("8, 9, 9", "conv(16, 1) as c; bn as n; silu");
  check("8, 9, 9", "conv(8, 3, pad = 1) as c; hardswish");
  check("24", "dense(16) as a; hardsigmoid; dense(8) as b; hardswish");
}

TEST(CodegenOps, GlobalPoolDenseSoftmax) {
  check("32, 6, 6", "global_avgpool; dense(10) as fc; softmax");
  check("16, 4, 4", "global_avgpool; dense(48, bias = false) as fc; relu");
}

TEST(CodegenOps, Flatten) {
  check("4, 3, 5", "conv(8, 3) as c; flatten; dense(7) as fc");
}

TEST(CodegenOps, DenseOnVectors) {
  check("64", "dense(96) as a; gelu; dense(64) as b; bn as n; tanh");
}

TEST(CodegenOps, SoftmaxOverWidth) { check("3, 4, 9", "softmax"); }

TEST(CodegenOps, UpsampleConcatAdd) {
  check("8, 6, 6",
        "save a; upsample(2); maxpool(2); concat a; conv(16, 3) as c");
  // `add ... pad` of a saved tensor with fewer channels: only the first
  // channels.
  check("4, 8, 8", "save a; conv(16, 3) as c; add a pad; relu");
  check("16, 8, 8", "save a; maxpool(3, stride = 1, pad = 1); add a");
}

} // namespace
namespace {

TEST(CodegenOps, ModelInputsOfManyChannels) {
  // Regression: the kernels' own var names ("v1"...) could equal the names
  // Halide gives its temporaries, so depending on how many names Halide had
  // made before, a layout conversion failed to compile or an input of 32
  // channels came out as garbage.
  for (const char *input : {"32, 4, 4", "32, 2, 2", "48, 4, 4", "17, 8, 8"}) {
    SCOPED_TRACE(input);
    check(input, "");
    check(input, "relu");
    check(input, "conv(32, 1) as c");
    check(input, "conv(16, 3) as c; avgpool(1)");
  }
}

} // namespace

// Tokens [N, T, D] are computed as [D, 1, T] images (Lowering.cpp): the
// views at the model's boundary, the class token, the position embedding,
// token(i), and dense layers and layer norms per token through the image
// kernels.
TEST(CodegenOps, TokenOps) {
  check("8, 3, 5", "tokens; class_token as cls; pos_embedding as pos; "
                   "layernorm as ln; token(0); dense(4) as fc");
  check("8, 3, 5", "tokens; pos_embedding as pos; token(14)");
  // A token input and a token output; 13 features: not a vector's multiple.
  check("6, 13", "dense(9) as fc; gelu; channel_scale as ls; "
                 "layernorm(eps = 1e-6) as ln");
}

// Attention: its projections are dense layers, its heads one kernel run in
// blocks of queries; the residual add after it fuses into the output
// projection. Heads of 2, 4 and 64 features, sequences shorter and longer
// than a block and not multiples of it, with and without biases.
TEST(CodegenOps, Attention) {
  checkSchedule(model("13, 12", "residual { layernorm as ln; attention(3) as "
                                "attn }; residual { layernorm as ln2; "
                                "dense(20) as d1; gelu; dense(12) as d2 }"),
                "attention_heads: " +
                    std::to_string(std::min(
                        13, res::codegen::vectorWidth(
                                Halide::get_jit_target_from_environment()))) +
                    " queries per task");
  check("5, 10", "attention(5, bias = false) as attn");
  check("3, 64", "attention(1) as attn; token(2)");
  check("3, 4, 5", "conv(128, 1) as c; tokens; class_token as cls; "
                   "attention(2) as attn; token(0)");
}
