// The example models through -O2 with weights supplied at run time (batch
// norms folded by res.fold_bn_params, skip adds and activations fused into
// res.fused_conv2d): the JIT and the interpreter of the optimised model
// against the interpreter of the model as written, with BN statistics that
// are far from the identity so that a wrong fold shows. At batch 1 and 8;
// the ImageNet ResNets at 64x64 so that the interpreter stays quick.
#include "CodegenTestUtil.h"

#include "compiler/interpreter/Interpreter.h"
#include "compiler/passes/Pipelines.h"
#include "dialect/ResDialect.h"

#include "mlir/Pass/PassManager.h"

#include <fstream>
#include <sstream>

using namespace mlir;
using namespace res::codegen;
using namespace res::codegen::testing;

namespace {

struct Example {
  const char *name;
  /// A smaller input for the ImageNet models, so the test stays quick.
  bool shrink;
};

void PrintTo(const Example &e, std::ostream *os) { *os << e.name; }

std::string exampleText(const Example &e) {
  std::ifstream file(std::string(RESC_SOURCE_DIR) + "/examples/" + e.name +
                     ".res");
  std::stringstream text;
  text << file.rdbuf();
  std::string source = text.str();
  if (e.shrink) {
    const std::string from = "f32[N, 3, 224, 224]";
    size_t at = source.find(from);
    EXPECT_NE(at, std::string::npos);
    if (at != std::string::npos)
      source.replace(at, from.size(), "f32[N, 3, 64, 64]");
  }
  return source;
}

/// Batch norms with means and scales far from 0 and 1, so that folding them
/// wrongly (or not at all) moves the output.
void perturbBatchNorms(resc::TensorMap &params) {
  for (auto &[name, t] : params) {
    llvm::StringRef n(name);
    for (size_t i = 0; i < t.data.size(); ++i) {
      float wobble = 0.25f * float((i * 7919 + n.size()) % 9) / 8.0f;
      if (n.ends_with(".running_mean"))
        t.data[i] += 0.5f - wobble;
      else if (n.ends_with(".running_var"))
        t.data[i] *= 1.5f + wobble;
      else if (n.ends_with("bn1.weight") || n.ends_with("bn2.weight") ||
               n.ends_with("bn3.weight"))
        t.data[i] *= 0.75f + wobble;
    }
  }
}

class OptimisedModels : public ::testing::TestWithParam<Example> {};

TEST_P(OptimisedModels, O2MatchesTheModelAsWritten) {
  auto m = fromRes(exampleText(GetParam()));
  ASSERT_TRUE(m && m->module);
  resc::TensorMap params = seededParams(*m->module);
  perturbBatchNorms(params);

  OwningOpRef<ModuleOp> optimised = m->module->clone();
  PassManager pm(m->context.get());
  res::buildResPipeline(pm, 2);
  ASSERT_TRUE(succeeded(pm.run(*optimised))) << m->diagnostics;
  int fused = 0;
  optimised->walk([&](res::FusedConv2DOp) { ++fused; });
  auto fn = *optimised->getOps<func::FuncOp>().begin();
  // res-fuse-skip-add has work where a residual branch ends in a
  // convolution or its batch norm; branches that end in a layer scale
  // (ConvNeXt) or a dense layer (Transformers) are fused by the Halide
  // lowering instead.
  bool hasConv = false, convBranch = false;
  m->module->walk([&](res::Conv2DOp) { hasConv = true; });
  m->module->walk([&](res::YieldOp y) {
    if (!isa<res::ResidualOp>(y->getParentOp()))
      return;
    Operation *last = y.getValue().getDefiningOp();
    if (last && isa<res::Conv2DOp, res::BatchNormOp>(last))
      convBranch = true;
  });
  if (hasConv && convBranch)
    EXPECT_GT(fused, 0) << "nothing was fused";

  CompileOptions options;
  options.cache = sharedCache();
  auto compiled = CompiledModel::compile(*optimised, options);
  ASSERT_TRUE(succeeded(compiled)) << m->diagnostics;
  ASSERT_TRUE(succeeded(compiled->bindParams(params))) << m->diagnostics;
  for (int64_t batch : {1, 8}) {
    std::vector<resc::Tensor> inputs;
    for (unsigned i = 0; i < fn.getNumArguments(); ++i) {
      std::vector<int64_t> shape = {batch};
      auto dims = m->inputDims(i);
      shape.insert(shape.end(), dims.begin(), dims.end());
      inputs.push_back(seededTensor(shape, "input" + std::to_string(i)));
    }
    auto want = res::interpret(m->function(), inputs, params);
    auto interpreted = res::interpret(fn, inputs, params);
    auto got = compiled->run(inputs);
    ASSERT_TRUE(succeeded(want) && succeeded(interpreted) && succeeded(got))
        << m->diagnostics;
    ASSERT_EQ(got->size(), want->size());
    for (size_t i = 0; i < want->size(); ++i) {
      EXPECT_LE(relativeError((*interpreted)[i], (*want)[i]), 1e-4)
          << "interpreter, output " << i << " at batch " << batch;
      EXPECT_LE(relativeError((*got)[i], (*want)[i]), 1e-4)
          << "JIT, output " << i << " at batch " << batch;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Examples, OptimisedModels,
    ::testing::Values(
        Example{"resnet20", false}, Example{"tied_ode", false},
        Example{"resmlp", false}, Example{"unet_small", false},
        Example{"scaled_blocks", false}, Example{"expressions", false},
        Example{"preact_resnet164", false}, Example{"resnet18", true},
        Example{"resnet34", true}, Example{"resnet50", true},
        Example{"mobilenet_v2", true}, Example{"mobilenet_v3_small", true},
        Example{"efficientnet_b0", true}, Example{"convnext_mini", false},
        Example{"convnext_tiny", true}, Example{"vit_cifar", false},
        Example{"transformer_encoder", false}),
    [](const ::testing::TestParamInfo<Example> &info) {
      return std::string(info.param.name);
    });

} // namespace
