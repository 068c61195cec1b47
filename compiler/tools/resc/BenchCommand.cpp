// `resc bench`: times forward passes of the JIT-compiled model in process, as
// trtexec or onnxruntime_perf_test do. Compilation and weight packing happen
// before the clock starts; warm-up runs fill the caches and start the thread
// pool; then every timed run is measured on its own so the report can give
// the median (robust to the noise of a shared machine) with min and max.
#include "compiler/driver/LoadModel.h"
#include "compiler/tools/resc/BenchTrain.h"
#include "compiler/tools/resc/Commands.h"
#include "compiler/tools/resc/RunInputs.h"

#include "compiler/codegen/JitModel.h"
#include "compiler/weights/InitWeights.h"
#include "compiler/weights/ParamBinding.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <sys/resource.h>
#include <thread>

using namespace mlir;

namespace resc::cli {
namespace {

/// Seeded inputs with the batch as the dynamic first dimension; any other
/// dynamic dimension cannot be sized and is an error.
bool seedInputs(func::FuncOp model, const BenchOptions &options,
                std::vector<resc::Tensor> &inputs) {
  for (unsigned i = 0; i < model.getNumArguments(); ++i) {
    std::string name = inputName(model, i);
    std::vector<int64_t> dims = typeDims(model.getArgumentTypes()[i]);
    const std::vector<int64_t> declared = dims;
    for (size_t d = 0; d < dims.size(); ++d) {
      if (dims[d] >= 0)
        continue;
      if (d != 0) {
        reportError("input '" + name + "' " + formatShape(declared) +
                    " has a dynamic dimension " + std::to_string(d) +
                    " that 'resc bench' cannot size; only the batch may be "
                    "dynamic");
        return false;
      }
      dims[d] = options.batch;
    }
    int64_t numel = resc::checkedNumel(dims);
    if (numel < 0 || numel > res::kMaxSeededElements) {
      reportError("input '" + name + "' of shape " + resc::shapeToString(dims) +
                  " is too large to seed (at most 2^31 elements)");
      return false;
    }
    inputs.push_back(res::seededInput(name, dims, options.seed));
  }
  return true;
}

/// Halide's JIT thread pool reads HL_NUM_THREADS when the first kernel runs,
/// so --threads must be in the environment before any run; without it the
/// pool has HL_NUM_THREADS threads, or one per core.
int applyThreads(int requested) {
  if (requested > 0) {
    setenv("HL_NUM_THREADS", std::to_string(requested).c_str(), 1);
    return requested;
  }
  if (const char *env = std::getenv("HL_NUM_THREADS")) {
    int fromEnv = std::atoi(env);
    if (fromEnv > 0)
      return fromEnv;
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

std::string jsonString(const std::string &text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\')
      out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      out += llvm::formatv("\\u{0:x-4}", (unsigned)c).str();
      continue;
    }
    out += c;
  }
  return out + "\"";
}

double peakRssMiB() {
  struct rusage usage;
  if (getrusage(RUSAGE_SELF, &usage) != 0)
    return 0;
  return usage.ru_maxrss / 1024.0; // Linux reports KiB
}

} // namespace

int runBench(const CommonOptions &common, const BenchOptions &options) {
  const int threads = applyThreads(options.threads);
  ModelSession session;
  if (!session.load(common.file, common.model, common.maxMemory))
    return 1;
  ModuleOp module = session.module();
  func::FuncOp model = session.model();
  const std::string modelName = model.getSymName().str();

  // Counted before the pipeline, on the model as written, so the FLOPs are
  // the ones `resc info` reports (fusion changes no multiply-add count).
  std::optional<int64_t> macs = countMacsPerSample(module, model);

  resc::TensorMap params;
  if (!loadOrSeedWeights(module, options.weights, !options.nonStrict,
                         options.seed, common.verbose, params))
    return 1;
  std::vector<resc::Tensor> inputs;
  if (!seedInputs(model, options, inputs))
    return 1;

  // The training step needs the model as written, with its parameters
  // supplied at run time (they change every step).
  OwningOpRef<ModuleOp> asWritten;
  if (options.train)
    asWritten = module.clone();
  std::string bindError;
  if (!res::attachValues(module, params, bindError)) {
    reportError(bindError);
    return 1;
  }
  if (!optimise(session, options.pipeline, common.verbose))
    return 1;

  using Clock = std::chrono::steady_clock;
  auto seconds = [](Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
  };
  auto compileStart = Clock::now();
  auto compiled = res::codegen::CompiledModel::compile(module);
  if (failed(compiled))
    return 1;
  double compileSeconds = seconds(compileStart, Clock::now());
  if (failed(compiled->bindParams({})))
    return 1;

  for (int i = 0; i < options.warmup; ++i)
    if (failed(compiled->run(inputs)))
      return 1;
  // After the warm-up: the profile of passes with warm caches and a
  // started thread pool, which `resc run --profile` (one cold pass) is not.
  compiled->setProfiling(options.profile);
  std::vector<double> ms;
  ms.reserve(options.repeat);
  for (int i = 0; i < options.repeat; ++i) {
    auto start = Clock::now();
    auto results = compiled->run(inputs);
    auto stop = Clock::now();
    if (failed(results))
      return 1;
    ms.push_back(seconds(start, stop) * 1e3);
  }
  std::vector<double> sorted = ms;
  std::sort(sorted.begin(), sorted.end());
  const size_t n = sorted.size();
  const double median =
      n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  // FLOPs are two per multiply-add, the convention of GFLOP/s peaks.
  const double gflopPerPass =
      macs ? 2.0 * double(*macs) * double(options.batch) / 1e9 : 0;
  const double gflops = median > 0 ? gflopPerPass / (median / 1e3) : 0;
  TrainStepTimes train;
  if (options.train &&
      !benchTrainStep(*asWritten, modelName, inputs, params, options, train))
    return 1;
  const double rss = peakRssMiB();

  auto &os = llvm::outs();
  if (options.json) {
    os << "{\"model\": " << jsonString(modelName)
       << ", \"file\": " << jsonString(common.file)
       << ", \"batch\": " << options.batch << ", \"threads\": " << threads
       << ", \"repeat\": " << options.repeat
       << ", \"warmup\": " << options.warmup
       << llvm::format(", \"median_ms\": %.6f, \"min_ms\": %.6f, "
                       "\"max_ms\": %.6f",
                       median, sorted.front(), sorted.back());
    if (macs)
      os << ", \"flop_per_pass\": " << 2 * *macs * options.batch
         << llvm::format(", \"gflop_per_pass\": %.6f, \"gflops\": %.3f",
                         gflopPerPass, gflops);
    else
      os << ", \"flop_per_pass\": null, \"gflop_per_pass\": null, "
            "\"gflops\": null";
    if (options.train)
      os << llvm::format(", \"train_step_median_ms\": %.6f, "
                         "\"train_step_min_ms\": %.6f, "
                         "\"train_step_max_ms\": %.6f, "
                         "\"train_forward_backward_ms\": %.6f, "
                         "\"train_optimiser_ms\": %.6f",
                         train.stepMs, train.minStepMs, train.maxStepMs,
                         train.forwardBackwardMs, train.optimiserMs)
         << ", \"train_kernels\": " << train.kernels;
    os << ", \"kernels\": " << compiled->numKernels()
       << llvm::format(", \"compile_s\": %.3f, \"peak_rss_mib\": %.1f",
                       compileSeconds, rss);
    if (options.profile) {
      // The forward pass's profile, for scripts (bench/compare.py sums the
      // 3x3 convolutions of resnet50 from it).
      os << ", \"layers\": [";
      const char *sep = "";
      for (const auto &l : compiled->profile()) {
        os << sep << "{\"layer\": " << jsonString(l.layer)
           << ", \"kernel\": " << jsonString(l.kernel)
           << ", \"calls\": " << l.calls
           << llvm::format(", \"ms\": %.6f, \"gflop\": %.6f}", l.seconds * 1e3,
                           l.flops / 1e9);
        sep = ", ";
      }
      os << "]";
    }
    os << "}\n";
    return 0;
  }
  os << "model " << modelName << ": batch " << options.batch << ", " << threads
     << (threads == 1 ? " thread" : " threads") << ", "
     << compiled->numKernels() << " kernels compiled in "
     << llvm::format("%.1f s", compileSeconds) << "\n";
  os << llvm::format("forward pass: median %.3f ms, min %.3f ms, max %.3f ms",
                     median, sorted.front(), sorted.back())
     << " (" << options.repeat << " runs after " << options.warmup
     << " warm-up)\n";
  if (macs)
    os << llvm::format("throughput: %.1f GFLOP/s (%.4f GFLOP per pass), "
                       "%.1f samples/s\n",
                       gflops, gflopPerPass,
                       median > 0 ? options.batch / (median / 1e3) : 0.0);
  else
    os << "throughput: unknown (a spatial size is dynamic, so the "
          "multiply-adds are not counted)\n";
  if (options.train)
    os << llvm::format("training step: median %.3f ms, min %.3f ms, max "
                       "%.3f ms (forward and backward %.3f ms, SGD update "
                       "%.3f ms; %.2fx the forward pass)",
                       train.stepMs, train.minStepMs, train.maxStepMs,
                       train.forwardBackwardMs, train.optimiserMs,
                       median > 0 ? train.stepMs / median : 0.0)
       << ", " << train.kernels << " kernels\n";
  os << llvm::format("peak resident memory: %.1f MiB\n", rss);
  if (options.profile) {
    os << "\nper-layer profile, summed over the " << options.repeat
       << " timed passes:\n";
    printProfile(compiled->profile());
    if (options.train) {
      os << "\nper-layer profile of the training step (forward and backward "
            "kernels), summed over the "
         << options.repeat << " timed steps:\n";
      printProfile(train.profile);
    }
  }
  return 0;
}

} // namespace resc::cli
