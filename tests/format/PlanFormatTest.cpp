// The plan format both sides of resc share: what the compiler writes
// (writePlan) the runtime reads back unchanged (parsePlan), and damaged or
// foreign bytes are refused with a message, never read past their end.
#include "format/ModelFormat.h"
#include "format/ModelPlan.h"

#include <gtest/gtest.h>

using namespace resc::format;

namespace {

StepRec call(int32_t kernel, std::vector<int32_t> operands, int32_t result,
             std::string layer) {
  StepRec s;
  s.kind = StepCall;
  s.kernel = kernel;
  s.operands = std::move(operands);
  s.result = result;
  s.layer = std::move(layer);
  return s;
}

SlotRec slot(uint32_t kind, int32_t index, int64_t offset,
             std::vector<int64_t> dims, bool batched = true) {
  SlotRec s;
  s.kind = kind;
  s.index = index;
  s.offset = offset;
  s.batched = batched;
  s.dims = std::move(dims);
  s.perSample = 1;
  for (int64_t d : s.dims)
    s.perSample *= d;
  return s;
}

/// A plan with one of everything: a conv with a folded batch norm, a tied
/// loop, an input, an output and a training section.
ModelPlan samplePlan() {
  ModelPlan p;
  p.kernels.push_back({"conv_3x3",
                       1234.5,
                       {{true, {4, 8, 8}}, {false, {16, 4, 3, 3, 1}}},
                       true,
                       {16, 8, 8}});
  p.kernels.push_back({"relu", 64.0, {{true, {16, 8, 8}}}, true, {16, 8, 8}});
  p.arenaPerSample = 2048;
  p.slots = {slot(SlotInput, 0, -1, {4, 8, 8}),
             slot(SlotParam, 0, -1, {16, 5, 3, 3, 1}, false),
             slot(SlotActivation, -1, 0, {16, 8, 8}),
             slot(SlotActivation, -1, 1024, {16, 8, 8}),
             slot(SlotLoopResult, -1, -1, {16, 8, 8}),
             slot(SlotOutput, 0, -1, {16, 8, 8})};
  StepRec loop;
  loop.kind = StepLoop;
  loop.count = 3;
  loop.input = 2;
  loop.arg = 3;
  loop.yield = 3;
  loop.result = 4;
  loop.body = {call(1, {3}, 3, "block.relu")};
  p.steps = {call(0, {0, 1}, 2, "conv1"), loop, call(1, {4}, 5, "out")};
  RecipeRec conv;
  conv.recipe.kind = PackRecipe::ConvWeight;
  conv.recipe.weight = "conv1.weight";
  conv.recipe.batchNorm = BatchNormRef{
      "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var", 1e-3};
  conv.embeddedOffset = 64;
  conv.floats = 16 * 5 * 9;
  p.recipes = {conv};
  p.params = {{-1, "bn1.bias", {16}},
              {-1, "bn1.running_mean", {16}},
              {-1, "bn1.running_var", {16}},
              {-1, "bn1.weight", {16}},
              {-1, "conv1.weight", {16, 4, 3, 3}}};
  p.inputs = {{0, "x", {-1, 4, 8, 8}}};
  p.outputs = {{5, "y", {-1, 16, 8, 8}}};

  auto t = std::make_shared<ModelPlan>();
  t->kernels = p.kernels;
  t->arenaPerSample = 1024;
  t->slots = {slot(SlotInput, 0, -1, {4, 8, 8}),
              slot(SlotParam, 0, -1, {4 * 8 * 8}, false),
              slot(SlotActivation, -1, 0, {16, 8, 8}),
              slot(SlotOutput, 0, -1, {16, 8, 8}),
              slot(SlotOutput, 1, -1, {16, 4, 3, 3}, false)};
  t->steps = {call(1, {0}, 2, "relu")};
  t->backward = {call(1, {2}, 3, "relu.grad")};
  RecipeRec raw;
  raw.recipe.kind = PackRecipe::Raw;
  raw.recipe.weight = "conv1.weight";
  raw.floats = 16 * 4 * 9;
  t->recipes = {raw};
  t->params = {{-1, "conv1.weight", {16, 4, 3, 3}}};
  t->inputs = {{0, "x", {-1, 4, 8, 8}}};
  t->outputs = {{3, "y", {-1, 16, 8, 8}}, {4, "conv1.weight", {16, 4, 3, 3}}};
  t->roles = {RoleOutput, RoleParamGrad};
  t->trainParams = {{"conv1.weight", {16, 4, 3, 3}, 16 * 4 * 9, true, 128}};
  p.train = t;
  return p;
}

void expectSameSteps(const std::vector<StepRec> &a,
                     const std::vector<StepRec> &b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].kind, b[i].kind);
    EXPECT_EQ(a[i].layer, b[i].layer);
    EXPECT_EQ(a[i].result, b[i].result);
    if (a[i].kind == StepCall) {
      EXPECT_EQ(a[i].kernel, b[i].kernel);
      EXPECT_EQ(a[i].operands, b[i].operands);
    } else {
      EXPECT_EQ(a[i].count, b[i].count);
      EXPECT_EQ(a[i].input, b[i].input);
      EXPECT_EQ(a[i].arg, b[i].arg);
      EXPECT_EQ(a[i].yield, b[i].yield);
      expectSameSteps(a[i].body, b[i].body);
    }
  }
}

void expectSameSection(const ModelPlan &a, const ModelPlan &b) {
  EXPECT_EQ(a.arenaPerSample, b.arenaPerSample);
  ASSERT_EQ(a.slots.size(), b.slots.size());
  for (size_t i = 0; i < a.slots.size(); ++i) {
    EXPECT_EQ(a.slots[i].kind, b.slots[i].kind) << i;
    EXPECT_EQ(a.slots[i].index, b.slots[i].index) << i;
    EXPECT_EQ(a.slots[i].offset, b.slots[i].offset) << i;
    EXPECT_EQ(a.slots[i].batched, b.slots[i].batched) << i;
    EXPECT_EQ(a.slots[i].dims, b.slots[i].dims) << i;
    EXPECT_EQ(a.slots[i].perSample, b.slots[i].perSample) << i;
  }
  expectSameSteps(a.steps, b.steps);
  ASSERT_EQ(a.recipes.size(), b.recipes.size());
  for (size_t i = 0; i < a.recipes.size(); ++i) {
    const PackRecipe &x = a.recipes[i].recipe, &y = b.recipes[i].recipe;
    EXPECT_EQ(x.key(), y.key()) << i;
    EXPECT_EQ(a.recipes[i].embeddedOffset, b.recipes[i].embeddedOffset);
    EXPECT_EQ(a.recipes[i].floats, b.recipes[i].floats);
  }
  for (auto [x, y] :
       {std::pair{&a.params, &b.params}, std::pair{&a.inputs, &b.inputs},
        std::pair{&a.outputs, &b.outputs}}) {
    ASSERT_EQ(x->size(), y->size());
    for (size_t i = 0; i < x->size(); ++i) {
      EXPECT_EQ((*x)[i].slot, (*y)[i].slot);
      EXPECT_EQ((*x)[i].name, (*y)[i].name);
      EXPECT_EQ((*x)[i].shape, (*y)[i].shape);
    }
  }
}

TEST(PlanFormat, WhatIsWrittenReadsBackUnchanged) {
  const ModelPlan written = samplePlan();
  std::vector<uint8_t> bytes = writePlan(written);
  ASSERT_GE(bytes.size(), kPlanMagicSize);
  EXPECT_EQ(0, std::memcmp(bytes.data(), kPlanMagic, kPlanMagicSize));

  ModelPlan read;
  std::string error;
  ASSERT_TRUE(parsePlan(bytes.data(), bytes.size(), 2, read, error)) << error;
  EXPECT_TRUE(error.empty());
  ASSERT_EQ(read.kernels.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(read.kernels[i].key, written.kernels[i].key);
    EXPECT_EQ(read.kernels[i].flopsPerSample,
              written.kernels[i].flopsPerSample);
    EXPECT_EQ(read.kernels[i].result, written.kernels[i].result);
    ASSERT_EQ(read.kernels[i].operands.size(),
              written.kernels[i].operands.size());
    for (size_t j = 0; j < read.kernels[i].operands.size(); ++j) {
      EXPECT_EQ(read.kernels[i].operands[j].batched,
                written.kernels[i].operands[j].batched);
      EXPECT_EQ(read.kernels[i].operands[j].extents,
                written.kernels[i].operands[j].extents);
    }
  }
  expectSameSection(written, read);
  EXPECT_EQ(read.largestPerSample, 2048);

  ASSERT_TRUE(read.train);
  expectSameSection(*written.train, *read.train);
  expectSameSteps(written.train->backward, read.train->backward);
  EXPECT_EQ(read.train->roles, written.train->roles);
  ASSERT_EQ(read.train->trainParams.size(), 1u);
  const TrainParamRec &p = read.train->trainParams[0];
  EXPECT_EQ(p.name, "conv1.weight");
  EXPECT_EQ(p.shape, (std::vector<int64_t>{16, 4, 3, 3}));
  EXPECT_EQ(p.count, 16 * 4 * 9);
  EXPECT_TRUE(p.trainable);
  EXPECT_EQ(p.embeddedOffset, 128);

  // Writing what was read gives the same bytes: nothing is lost either way.
  EXPECT_EQ(writePlan(read), bytes);
}

TEST(PlanFormat, EveryTruncationIsRefused) {
  std::vector<uint8_t> bytes = writePlan(samplePlan());
  for (size_t n = 0; n < bytes.size(); ++n) {
    ModelPlan read;
    std::string error;
    EXPECT_FALSE(parsePlan(bytes.data(), n, 2, read, error)) << n;
    EXPECT_NE(error.find("malformed"), std::string::npos) << n << error;
  }
}

TEST(PlanFormat, AnotherVersionIsRefusedByName) {
  std::vector<uint8_t> bytes = writePlan(samplePlan());
  bytes[kPlanMagicSize - 1] = '2';
  ModelPlan read;
  std::string error;
  EXPECT_FALSE(parsePlan(bytes.data(), bytes.size(), 2, read, error));
  EXPECT_NE(error.find("plan format 2"), std::string::npos) << error;
  EXPECT_NE(error.find("compile the model again"), std::string::npos) << error;
}

TEST(PlanFormat, KernelCountMustMatchTheLibrary) {
  std::vector<uint8_t> bytes = writePlan(samplePlan());
  ModelPlan read;
  std::string error;
  EXPECT_FALSE(parsePlan(bytes.data(), bytes.size(), 3, read, error));
  EXPECT_EQ(error, "the library's plan names 2 kernels but it has 3");
}

TEST(PlanFormat, IndicesOutOfRangeAreRefused) {
  // A call of a kernel the plan lacks, a step writing a missing slot, a
  // parameter slot without a recipe: each is caught at load, not at run.
  auto refuses = [](ModelPlan p) {
    std::vector<uint8_t> bytes = writePlan(p);
    ModelPlan read;
    std::string error;
    return !parsePlan(bytes.data(), bytes.size(), p.kernels.size(), read,
                      error) &&
           !error.empty();
  };
  ModelPlan p = samplePlan();
  p.steps[0].kernel = 7;
  EXPECT_TRUE(refuses(p));
  p = samplePlan();
  p.steps[2].result = 99;
  EXPECT_TRUE(refuses(p));
  p = samplePlan();
  p.slots[1].index = 4;
  EXPECT_TRUE(refuses(p));
  p = samplePlan();
  p.steps[1].body[0].operands = {3, 3};
  EXPECT_TRUE(refuses(p));
  p = samplePlan();
  p.train->roles.pop_back();
  EXPECT_TRUE(refuses(p));
}

} // namespace
