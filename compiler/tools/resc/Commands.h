// The resc subcommands. main.cpp parses the command line into these option
// structs and calls the matching run function, which returns the exit code.
#ifndef RESC_COMPILER_TOOLS_RESC_COMMANDS_H
#define RESC_COMPILER_TOOLS_RESC_COMMANDS_H

#include "compiler/driver/LoadModel.h"
#include "compiler/driver/Pipeline.h"
#include "frontend/Frontend.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace resc::cli {

// The commands parse flags and call the libraries: model loading and the
// pass pipeline (compiler/driver), codegen, AOT (compiler/aot) and the
// exporters (compiler/export).
using namespace resc::driver;

/// Adds -O0/-O1/-O2, --pipeline, --print-ir-after-all, --print-ir-after,
/// --timing and --remarks to `app`, with `defaultLevel` as the default -O.
void addPipelineOptions(CLI::App *app, PipelineOptions &options,
                        int defaultLevel);

/// Adds --non-strict, for a command with --weights: load a weights file
/// that has tensors the model does not have (ignored) rather than refuse it.
void addNonStrictFlag(CLI::App *app, bool &nonStrict);

/// Options every subcommand shares.
struct CommonOptions {
  std::string file;
  std::string model;
  bool verbose = false;
  /// --max-memory: the most bytes a .res model's tensors may need.
  uint64_t maxMemory = res::kDefaultMaxMemoryBytes;
};

int runCheck(const CommonOptions &common);

struct InfoOptions {
  /// 0: show the batch as N and count multiply-adds per sample.
  int64_t batch = 0;
  /// Deepest nesting level shown (-1: all); totals always cover everything.
  int depth = -1;
  /// Also print per-block Lipschitz bounds (needs bound weights: given or
  /// seeded).
  bool lipschitz = false;
  std::string weights;
  bool nonStrict = false;
  uint64_t seed = 0;
};
int runInfo(const CommonOptions &common, const InfoOptions &options);
/// Multiply-adds of one sample of `model`, counted as `resc info` counts
/// them (convolutions and dense layers); none when a spatial size is dynamic
/// or the count overflows.
std::optional<int64_t> countMacsPerSample(mlir::ModuleOp module,
                                          mlir::func::FuncOp model);

struct EmitOptions {
  std::string format = "mlir";
  /// --target, for --format plan: whose schedules to show.
  std::string target = "host";
  std::string output = "-";
  std::string weights;
  bool nonStrict = false;
  bool locations = false;
  PipelineOptions pipeline;
};
int runEmit(const CommonOptions &common, const EmitOptions &options);
/// The formats `emit --format` accepts.
const std::vector<std::string> &emitFormats();

struct RunOptions {
  std::string weights;
  bool nonStrict = false;
  /// NAME=FILE.npy, or FILE.npy for a model with one input.
  std::vector<std::string> inputs;
  /// NAME=FILE.npy, or FILE.npy for a model with one output.
  std::vector<std::string> outputs;
  uint64_t seed = 0;
  int64_t batch = 1;
  /// --batch was given: warn where it cannot apply (an input from a file,
  /// a fixed batch).
  bool batchGiven = false;
  bool interpret = false;
  bool profile = false;
  PipelineOptions pipeline;
  /// --train: a training step's forward and backward pass (TrainRunCommand).
  bool train = false;
  /// NAME=FILE.npy gradients of the outputs (default: ones).
  std::vector<std::string> gradOutputs;
  /// Safetensors file for the gradients of the parameters and inputs.
  std::string gradsOut;
  /// Safetensors file for the parameters after the step (the running
  /// statistics moved by the batch; no optimiser).
  std::string weightsOut;
};
int runRun(const CommonOptions &common, const RunOptions &options);
int runTrain(const CommonOptions &common, const RunOptions &options);

struct InitWeightsOptions {
  std::string output;
  uint64_t seed = 0;
};
int runInitWeights(const CommonOptions &common,
                   const InitWeightsOptions &options);

struct BenchOptions {
  std::string weights;
  bool nonStrict = false;
  uint64_t seed = 0;
  int64_t batch = 1;
  /// 0: Halide's default (HL_NUM_THREADS, else one per core).
  int threads = 0;
  int repeat = 20;
  int warmup = 3;
  bool json = false;
  /// Also time a training step (forward, backward, SGD update).
  bool train = false;
  /// Per-layer tables of the timed (warm) forward passes and, with
  /// `train`, of the timed training steps.
  bool profile = false;
  PipelineOptions pipeline;
};
int runBench(const CommonOptions &common, const BenchOptions &options);

} // namespace resc::cli

#endif
