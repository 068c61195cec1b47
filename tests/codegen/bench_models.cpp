// Forward-pass time of example models at batch 1: the JIT engine against
// the reference interpreter, and the GFLOP/s the JIT reaches. Not a test:
//
//   bench_models [--runs N] [--batch N] [--no-interpreter] [--profile]
//                [MODEL...]        (default: resnet20 resnet50)
//
// MODEL is a name in examples/ or a path to a .res file. Times are medians
// after warm-up runs; set HL_NUM_THREADS to choose the thread count.
#include "compiler/codegen/JitModel.h"
#include "compiler/codegen/KernelCache.h"
#include "compiler/interpreter/Interpreter.h"
#include "dialect/ResDialect.h"
#include "frontend/Frontend.h"

#include "resc/Random.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

using namespace res;
using namespace res::codegen;

namespace {

double now() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

resc::TensorMap seededParams(mlir::ModuleOp module) {
  resc::TensorMap params;
  for (auto p : module.getOps<ParamOp>()) {
    if (p.getValue())
      continue;
    std::string name = p.getSymName().str();
    auto shape = mlir::cast<mlir::RankedTensorType>(p.getType()).getShape();
    resc::Tensor t(std::vector<int64_t>(shape.begin(), shape.end()));
    resc::Random random(7, name);
    double fanIn = 1;
    for (size_t i = 1; i < shape.size(); ++i)
      fanIn *= double(shape[i]);
    bool var = name.size() > 11 &&
               name.compare(name.size() - 11, 11, "running_var") == 0;
    for (float &v : t.data)
      v = var                 ? float(0.5 + random.uniform())
          : shape.size() == 1 ? float(0.1 * random.normal())
                              : float(random.normal() / std::sqrt(fanIn));
    params[name] = std::move(t);
  }
  return params;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

int bench(const std::string &what, int runs, int64_t batch, bool interpreter,
          bool profile) {
  std::string path = what;
  if (path.find('/') == std::string::npos &&
      path.find(".res") == std::string::npos)
    path = std::string(RESC_SOURCE_DIR) + "/examples/" + what + ".res";
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (text.str().empty()) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    return 1;
  }
  mlir::MLIRContext context;
  loadFrontendDialects(context);
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(text.str(), path), llvm::SMLoc());
  mlir::SourceMgrDiagnosticHandler handler(sourceMgr, &context);
  auto module = compileResSource(sourceMgr, context);
  if (!module)
    return 1;
  mlir::func::FuncOp fn = *module->getOps<mlir::func::FuncOp>().begin();

  double t0 = now();
  auto model = CompiledModel::compile(*module);
  if (failed(model))
    return 1;
  double compileSeconds = now() - t0;
  resc::TensorMap params = seededParams(*module);
  if (failed(model->bindParams(params)))
    return 1;

  auto type = mlir::cast<mlir::RankedTensorType>(fn.getArgumentTypes()[0]);
  std::vector<int64_t> shape = {batch};
  for (int64_t d = 1; d < type.getRank(); ++d)
    shape.push_back(type.getDimSize(d));
  resc::Tensor input(shape);
  resc::Random random(7, "input");
  for (float &v : input.data)
    v = float(random.normal());

  for (int i = 0; i < 3; ++i)
    if (failed(model->run({input})))
      return 1;
  std::vector<double> times;
  for (int i = 0; i < runs; ++i) {
    double start = now();
    auto out = model->run({input});
    times.push_back(now() - start);
    if (failed(out))
      return 1;
  }
  const double jit = median(times);
  const double gflop = model->flopsPerSample() * double(batch) / 1e9;
  std::printf("%-18s batch %lld: %zu distinct kernels, %lld calls, compile "
              "%.1f s, arena %.1f MB (%.1f MB without reuse)\n",
              what.c_str(), (long long)batch, model->numKernels(),
              (long long)model->numCalls(), compileSeconds,
              model->arenaFloatsPerSample() * batch * 4e-6,
              model->unsharedFloatsPerSample() * batch * 4e-6);
  std::printf("  JIT:         %9.3f ms  (median of %d; min %.3f)  %.3f GFLOP "
              "-> %.1f GFLOP/s\n",
              jit * 1e3, runs,
              *std::min_element(times.begin(), times.end()) * 1e3, gflop,
              gflop / jit);

  if (profile) {
    model->setProfiling(true);
    for (int i = 0; i < runs; ++i)
      (void)model->run({input});
    auto rows = model->profile();
    double total = 0;
    for (const LayerProfile &r : rows)
      total += r.seconds;
    std::printf("  %-28s %8s %6s %8s  %s\n", "layer", "ms/run", "share",
                "GFLOP/s", "kernel");
    for (const LayerProfile &r : rows)
      std::printf("  %-28s %8.3f %5.1f%% %8.1f  %s\n", r.layer.c_str(),
                  r.seconds / runs * 1e3, 100 * r.seconds / total,
                  r.flops > 0 ? r.flops / r.seconds / 1e9 : 0.0,
                  r.kernel.c_str());
    model->setProfiling(false);
  }

  if (interpreter) {
    double start = now();
    auto out = interpret(fn, {input}, params);
    double seconds = now() - start;
    if (failed(out))
      return 1;
    auto jitOut = model->run({input});
    double maxErr = 0, maxVal = 0;
    for (size_t i = 0; i < out->front().data.size(); ++i) {
      maxErr = std::max(maxErr, double(std::abs(jitOut->front().data[i] -
                                                out->front().data[i])));
      maxVal = std::max(maxVal, double(std::abs(out->front().data[i])));
    }
    std::printf("  interpreter: %9.1f ms  (one run)  -> JIT is %.0fx faster; "
                "relative difference %.2g\n",
                seconds * 1e3, seconds / jit, maxErr / maxVal);
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  int runs = 10;
  int64_t batch = 1;
  bool interpreter = true, profile = false;
  std::vector<std::string> models;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--runs" && i + 1 < argc)
      runs = std::max(1, std::atoi(argv[++i]));
    else if (a == "--batch" && i + 1 < argc)
      batch = std::max(1, std::atoi(argv[++i]));
    else if (a == "--no-interpreter")
      interpreter = false;
    else if (a == "--profile")
      profile = true;
    else if (a == "--help" || a == "-h") {
      std::printf("usage: bench_models [--runs N] [--batch N] "
                  "[--no-interpreter] [--profile] [MODEL...]\n");
      return 0;
    } else
      models.push_back(a);
  }
  if (models.empty())
    models = {"resnet20", "resnet50"};
  std::printf("target %s\n", Halide::get_host_target().to_string().c_str());
  for (const std::string &m : models)
    if (bench(m, runs, batch, interpreter, profile))
      return 1;
  return 0;
}
