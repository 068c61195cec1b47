#include "CodegenTestUtil.h"

#include "compiler/interpreter/Interpreter.h"
#include "dialect/ResDialect.h"
#include "frontend/Frontend.h"

#include "resc/Random.h"

#include "mlir/Parser/Parser.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

using namespace mlir;

namespace res::codegen::testing {

std::shared_ptr<KernelCache> sharedCache() {
  static auto cache = std::make_shared<KernelCache>();
  return cache;
}

func::FuncOp Model::function() {
  for (auto fn : module->getOps<func::FuncOp>())
    return fn;
  return nullptr;
}

std::vector<int64_t> Model::inputDims(unsigned i) {
  auto shape =
      cast<RankedTensorType>(function().getArgumentTypes()[i]).getShape();
  return {shape.begin() + 1, shape.end()};
}

namespace {
std::unique_ptr<Model> newModel() {
  auto m = std::make_unique<Model>();
  m->context = std::make_unique<MLIRContext>();
  loadFrontendDialects(*m->context);
  Model *raw = m.get();
  m->handler = std::make_unique<ScopedDiagnosticHandler>(
      m->context.get(), [raw](Diagnostic &d) {
        llvm::raw_string_ostream os(raw->diagnostics);
        os << d.getLocation() << ": " << d << "\n";
        return success();
      });
  return m;
}
} // namespace

std::unique_ptr<Model> fromRes(const std::string &text) {
  auto m = newModel();
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(text, "test.res"), llvm::SMLoc());
  m->module = compileResSource(sourceMgr, *m->context);
  EXPECT_TRUE(m->module) << "the model does not compile:\n" << m->diagnostics;
  return m;
}

std::unique_ptr<Model> fromResFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_FALSE(ss.str().empty()) << "cannot read " << path;
  return fromRes(ss.str());
}

std::unique_ptr<Model> fromMlir(const std::string &text) {
  auto m = newModel();
  m->module = parseSourceString<ModuleOp>(text, ParserConfig(m->context.get()));
  EXPECT_TRUE(m->module) << "the IR does not parse:\n" << m->diagnostics;
  return m;
}

resc::Tensor seededTensor(const std::vector<int64_t> &shape,
                          const std::string &name, uint64_t seed) {
  resc::Tensor t(shape);
  resc::Random random(seed, name);
  for (float &v : t.data)
    v = float(random.normal());
  return t;
}

resc::TensorMap seededParams(ModuleOp module, uint64_t seed) {
  resc::TensorMap params;
  for (auto p : module.getOps<ParamOp>()) {
    if (p.getValue())
      continue;
    std::string name = p.getSymName().str();
    auto shape = cast<RankedTensorType>(p.getType()).getShape();
    std::vector<int64_t> dims(shape.begin(), shape.end());
    resc::Tensor t(dims);
    resc::Random random(seed, name);
    auto endsWith = [&](const std::string &suffix) {
      return name.size() >= suffix.size() &&
             name.compare(name.size() - suffix.size(), suffix.size(), suffix) ==
                 0;
    };
    double fanIn = 1;
    for (size_t i = 1; i < dims.size(); ++i)
      fanIn *= double(dims[i]);
    for (float &v : t.data) {
      if (endsWith("running_var"))
        v = float(0.5 + random.uniform());
      else if (dims.size() == 1 && endsWith("weight"))
        v = float(1.0 + 0.1 * random.normal());
      else if (dims.size() == 1)
        v = float(0.1 * random.normal());
      else
        v = float(random.normal() / std::sqrt(fanIn));
    }
    params[name] = std::move(t);
  }
  return params;
}

double relativeError(const resc::Tensor &got, const resc::Tensor &want) {
  if (got.shape != want.shape || got.data.size() != want.data.size())
    return std::numeric_limits<double>::infinity();
  double maxErr = 0, maxVal = 0;
  for (size_t i = 0; i < want.data.size(); ++i) {
    double e = std::abs(double(got.data[i]) - double(want.data[i]));
    if (!(e <= maxErr))
      maxErr = e; // NaN sticks
    maxVal = std::max(maxVal, std::abs(double(want.data[i])));
  }
  return maxVal > 0 ? maxErr / maxVal : maxErr;
}

void expectMatchesInterpreter(Model &model, const std::vector<int64_t> &batches,
                              double tolerance) {
  ASSERT_TRUE(model.module);
  CompileOptions options;
  options.cache = sharedCache();
  auto compiled = CompiledModel::compile(*model.module, options);
  ASSERT_TRUE(succeeded(compiled)) << model.diagnostics;
  resc::TensorMap params = seededParams(*model.module);
  ASSERT_TRUE(succeeded(compiled->bindParams(params))) << model.diagnostics;
  func::FuncOp fn = model.function();
  for (int64_t batch : batches) {
    std::vector<resc::Tensor> inputs;
    for (unsigned i = 0; i < fn.getNumArguments(); ++i) {
      std::vector<int64_t> shape = {batch};
      auto dims = model.inputDims(i);
      shape.insert(shape.end(), dims.begin(), dims.end());
      inputs.push_back(seededTensor(shape, "input" + std::to_string(i)));
    }
    auto want = interpret(fn, inputs, params);
    ASSERT_TRUE(succeeded(want)) << model.diagnostics;
    auto got = compiled->run(inputs);
    ASSERT_TRUE(succeeded(got)) << model.diagnostics;
    ASSERT_EQ(got->size(), want->size());
    for (size_t i = 0; i < want->size(); ++i) {
      double err = relativeError((*got)[i], (*want)[i]);
      EXPECT_LE(err, tolerance)
          << "output " << i << " at batch " << batch << ": shape "
          << resc::shapeToString((*got)[i].shape) << " vs "
          << resc::shapeToString((*want)[i].shape);
    }
  }
}

std::vector<std::string> kernelSchedules(Model &model) {
  CompileOptions options;
  options.cache = sharedCache();
  auto compiled = CompiledModel::compile(*model.module, options);
  EXPECT_TRUE(succeeded(compiled)) << model.diagnostics;
  std::vector<std::string> schedules;
  if (succeeded(compiled))
    for (const KernelInfo &kernel : compiled->kernels())
      schedules.push_back(kernel.schedule);
  return schedules;
}

} // namespace res::codegen::testing
