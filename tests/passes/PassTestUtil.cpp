// Helpers of the pass tests (see PassTestUtil.h).
#include "PassTestUtil.h"

#include "compiler/interpreter/Interpreter.h"
#include "compiler/weights/InitWeights.h"
#include "compiler/weights/ParamBinding.h"
#include "dialect/ResDialect.h"
#include "frontend/Frontend.h"
#include "resc/Random.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

using namespace mlir;

namespace res::testing {

QuietContext::QuietContext() {
  loadFrontendDialects(context);
  context.loadDialect<ResDialect, func::FuncDialect>();
  handler = context.getDiagEngine().registerHandler([this](Diagnostic &d) {
    messages.push_back(d.str());
    // Errors explain a failing test; remarks and warnings are expected.
    if (d.getSeverity() == DiagnosticSeverity::Error)
      llvm::errs() << d.getLocation() << ": error: " << d.str() << "\n";
    return success();
  });
}

QuietContext::~QuietContext() { context.getDiagEngine().eraseHandler(handler); }

OwningOpRef<ModuleOp> compileExample(
    MLIRContext &context, const std::string &name,
    const std::vector<std::pair<std::string, std::string>> &replacements) {
  std::string path =
      std::string(RESC_SOURCE_DIR) + "/examples/" + name + ".res";
  std::ifstream file(path);
  EXPECT_TRUE(file) << "cannot read " << path;
  std::stringstream text;
  text << file.rdbuf();
  std::string source = text.str();
  for (const auto &[from, to] : replacements) {
    size_t at = source.find(from);
    EXPECT_NE(at, std::string::npos) << "'" << from << "' not in " << path;
    if (at != std::string::npos)
      source.replace(at, from.size(), to);
  }
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(source, path), llvm::SMLoc());
  auto module = compileResSource(sourceMgr, context);
  EXPECT_TRUE(module) << "examples/" << name << ".res does not compile";
  return module;
}

func::FuncOp modelFunction(ModuleOp module) {
  auto fns = module.getOps<func::FuncOp>();
  EXPECT_FALSE(fns.empty());
  return fns.empty() ? func::FuncOp() : *fns.begin();
}

static void fill(resc::Tensor &t, resc::Random rng,
                 const std::function<double(resc::Random &)> &draw) {
  for (float &v : t.data)
    v = static_cast<float>(draw(rng));
}

resc::TensorMap
randomWeights(ModuleOp module, uint64_t seed,
              const std::function<void(resc::TensorMap &)> &edit) {
  resc::TensorMap values;
  std::string error;
  EXPECT_TRUE(initParams(module, seed, values, error, /*includeBound=*/true))
      << error;
  std::map<std::string, ParamRole> roles;
  EXPECT_TRUE(inferParamRoles(module, roles, error)) << error;
  auto normal = [](double std) {
    return [std](resc::Random &r) { return std * r.normal(); };
  };
  auto uniform = [](double lo, double hi) {
    return [lo, hi](resc::Random &r) { return lo + (hi - lo) * r.uniform(); };
  };
  for (auto &[name, tensor] : values) {
    resc::Random rng(seed, "test:" + name);
    switch (roles[name]) {
    case ParamRole::NormWeight:
      fill(tensor, rng, uniform(0.5, 1.5));
      break;
    case ParamRole::NormBias:
    case ParamRole::Bias:
      fill(tensor, rng, normal(0.1));
      break;
    case ParamRole::RunningMean:
      fill(tensor, rng, normal(0.1));
      break;
    case ParamRole::RunningVar:
      fill(tensor, rng, uniform(0.5, 2.0));
      break;
    default:
      break;
    }
  }
  if (edit)
    edit(values);
  return values;
}

void bindValues(ModuleOp module, const resc::TensorMap &values) {
  std::string error;
  ASSERT_TRUE(attachValues(module, values, error)) << error;
}

std::vector<resc::Tensor> seededInputs(func::FuncOp fn, uint64_t seed,
                                       int64_t batch) {
  std::vector<resc::Tensor> inputs;
  for (unsigned i = 0; i < fn.getNumArguments(); ++i) {
    auto type = cast<RankedTensorType>(fn.getArgument(i).getType());
    std::vector<int64_t> shape;
    for (int64_t d : type.getShape())
      shape.push_back(ShapedType::isDynamic(d) ? batch : d);
    auto name = fn.getArgAttrOfType<StringAttr>(i, kNameAttr);
    inputs.push_back(seededInput(name ? name.str() : "arg" + std::to_string(i),
                                 shape, seed));
  }
  return inputs;
}

std::vector<resc::Tensor> interpret(ModuleOp module,
                                    const std::vector<resc::Tensor> &inputs,
                                    const resc::TensorMap &params) {
  auto out = res::interpret(modelFunction(module), inputs, params);
  EXPECT_TRUE(succeeded(out)) << "the interpreter failed";
  return succeeded(out) ? *out : std::vector<resc::Tensor>{};
}

bool runPipeline(ModuleOp module,
                 const std::function<void(OpPassManager &)> &build) {
  PassManager pm(module.getContext());
  build(pm);
  return succeeded(pm.run(module));
}

double relativeError(const std::vector<resc::Tensor> &expected,
                     const std::vector<resc::Tensor> &actual) {
  if (expected.size() != actual.size())
    return INFINITY;
  double maxDiff = 0, maxRef = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    if (expected[i].shape != actual[i].shape)
      return INFINITY;
    for (int64_t j = 0; j < expected[i].numel(); ++j) {
      double e = expected[i].data[j], a = actual[i].data[j];
      if (!std::isfinite(e) || !std::isfinite(a))
        return INFINITY;
      maxDiff = std::max(maxDiff, std::abs(e - a));
      maxRef = std::max(maxRef, std::abs(e));
    }
  }
  return maxRef == 0 ? (maxDiff == 0 ? 0 : INFINITY) : maxDiff / maxRef;
}

int countOps(ModuleOp module, llvm::StringRef name) {
  int n = 0;
  module.walk([&](Operation *op) {
    if (op->getName().getStringRef() == name)
      ++n;
  });
  return n;
}

} // namespace res::testing
