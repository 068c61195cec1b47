// resc: the command-line driver. This file only wires CLI11 to the
// subcommands in *Command.cpp; each returns the exit code (0 success, 1 an
// error in the model, the weights or the inputs). Usage errors exit with 2.
#include "compiler/tools/resc/Commands.h"
#include "compiler/tools/resc/CompileCommand.h"

#include "CLI/CLI.hpp"
#include "llvm/Support/ManagedStatic.h"
#include "llvm/Support/Signals.h"
#include "llvm/Support/raw_ostream.h"

#include <cctype>
#include <new>

#ifndef RESC_VERSION
#define RESC_VERSION "unknown"
#endif

using namespace resc::cli;

namespace {

/// "512M" -> "536870912": K, M, G and T are powers of 1024.
CLI::Validator byteSize() {
  return CLI::Validator(
      [](std::string &value) -> std::string {
        size_t digits = 0;
        while (digits < value.size() &&
               std::isdigit((unsigned char)value[digits]))
          ++digits;
        std::string suffix = value.substr(digits);
        int shift = suffix.empty() || suffix == "B" ? 0
                    : suffix == "K"                 ? 10
                    : suffix == "M"                 ? 20
                    : suffix == "G"                 ? 30
                    : suffix == "T"                 ? 40
                                                    : -1;
        uint64_t number = 0;
        bool ok = digits > 0 && digits <= 19 && shift >= 0;
        if (ok) {
          number = std::stoull(value.substr(0, digits));
          ok = number <= (UINT64_MAX >> shift);
        }
        if (!ok)
          return "must be a byte count such as 4096, 512M or 16G, got '" +
                 value + "'";
        value = std::to_string(number << shift);
        return "";
      },
      "");
}

void addCommon(CLI::App *sub, CommonOptions &common) {
  sub->add_option("FILE", common.file,
                  "The model: a .res source file, or .mlir / .mlirbc IR "
                  "(e.g. from 'resc emit')")
      ->required()
      ->type_name("");
  sub->add_option("--model", common.model,
                  "Which model to use when the file defines several")
      ->type_name("NAME");
  sub->add_option("--max-memory", common.maxMemory,
                  "Refuse a .res model whose tensors need more bytes than "
                  "this at batch 1 (K, M, G, T suffixes; 0: no limit)")
      ->type_name("SIZE")
      ->default_str("16G")
      ->transform(byteSize());
}

/// CLI11's PositiveNumber prints the whole double range in its message.
CLI::Validator atLeast(int64_t minimum) {
  return CLI::Validator(
      [minimum](std::string &value) -> std::string {
        try {
          if (std::stoll(value) >= minimum)
            return "";
        } catch (const std::exception &) {
        }
        return "must be an integer of at least " + std::to_string(minimum) +
               ", got '" + value + "'";
      },
      "");
}

std::string formatList() {
  std::string list;
  for (const std::string &format : emitFormats())
    list += (list.empty() ? "" : ", ") + format;
  return list;
}

/// CLI11's messages, in the `resc: error:` form the other errors use, with
/// a pointer to the right --help.
std::string failureMessage(const CLI::App *app, const CLI::Error &e) {
  std::string command = "resc";
  for (const CLI::App *sub : app->get_subcommands())
    command += " " + sub->get_name();
  return "resc: error: " + std::string(e.what()) + "\nRun '" + command +
         " --help' for usage.\n";
}

} // namespace

int main(int argc, char **argv) {
  // Not llvm::InitLLVM: its new-handler aborts on a failed allocation, and
  // resc reports that as an error instead (a model too large for memory).
  llvm::sys::PrintStackTraceOnErrorSignal(argv[0]);
  llvm::llvm_shutdown_obj shutdown;

  CLI::App app{"resc: the compiler for residual neural networks.\n"
               "Checks, describes, emits and runs models written in the "
               "resc model language (.res) or in the res dialect (.mlir).",
               "resc"};
  app.set_version_flag("--version", "resc " RESC_VERSION " (MLIR 19)");
  app.require_subcommand(1);
  app.fallthrough();
  app.failure_message(failureMessage);
  app.get_formatter()->column_width(32);
  CommonOptions common;
  app.add_flag("-v,--verbose", common.verbose,
               "Say more: what 'check' found, ignored weight keys, seeds");
  app.footer("Run 'resc COMMAND --help' for the options of a command.\n"
             "Exit status: 0 success, 1 error in the model or its data, "
             "2 usage error.\nDocumentation: docs/cli.md\n");

  CLI::App *check = app.add_subcommand(
      "check", "Parse and verify a model; print nothing unless there is an "
               "error (or -v is given)");
  addCommon(check, common);
  check->footer(
      "Examples:\n"
      "  resc check examples/resnet20.res\n"
      "  resc check -v model.mlir        # ok: MODEL, N parameters\n");

  InfoOptions info;
  CLI::App *infoCmd = app.add_subcommand(
      "info", "Print a table of the layers (output shape, parameters, "
              "multiply-adds) and the totals");
  addCommon(infoCmd, common);
  infoCmd
      ->add_option("--batch", info.batch,
                   "Show shapes and multiply-adds for this batch size "
                   "(default: shapes show N, multiply-adds per sample)")
      ->type_name("N")
      ->check(atLeast(1));
  infoCmd->add_flag("--lipschitz", info.lipschitz,
                    "Also print an upper bound on the Lipschitz constant of "
                    "each residual branch and of the network (on --weights, "
                    "or seeded weights)");
  infoCmd
      ->add_option("--weights", info.weights,
                   "Weights for --lipschitz (default: seeded)")
      ->type_name("FILE");
  addNonStrictFlag(infoCmd, info.nonStrict);
  infoCmd->add_option("--seed", info.seed, "Seed of seeded weights")
      ->type_name("S")
      ->capture_default_str();
  infoCmd
      ->add_option("--depth", info.depth,
                   "Show rows nested at most this deep (0: top level "
                   "only; default: all); totals cover everything")
      ->type_name("D")
      ->check(atLeast(0));
  infoCmd->footer(
      "Parameters count trainable tensors (BatchNorm running statistics are "
      "totalled apart as buffers); multiply-adds count convolutions and "
      "dense layers; a tied repeat's parameters count once and its "
      "multiply-adds once per iteration.\n\nExamples:\n"
      "  resc info examples/resnet18.res\n"
      "  resc info examples/resnet50.res --depth 1 --batch 32");

  EmitOptions emit;
  CLI::App *emitCmd =
      app.add_subcommand("emit", "Print the model as IR (the res dialect), a "
                                 "PyTorch module, a Graphviz graph or the "
                                 "backend's plan");
  addCommon(emitCmd, common);
  emitCmd
      ->add_option("--format", emit.format,
                   "Output format; accepted: " + formatList())
      ->type_name("FORMAT")
      ->capture_default_str()
      ->check(CLI::Validator(
          [](std::string &value) -> std::string {
            for (const std::string &format : emitFormats())
              if (value == format)
                return "";
            return "unknown format '" + value + "'; accepted: " + formatList();
          },
          "FORMAT"));
  emitCmd
      ->add_option("--target", emit.target,
                   "With --format plan: the Halide target whose kernels and "
                   "schedules to show (host, host-cuda or a Halide target "
                   "string such as x86-64-linux-avx2-fma)")
      ->type_name("TARGET")
      ->capture_default_str();
  emitCmd->add_option("-o,--output", emit.output, "Output file ('-': stdout)")
      ->type_name("FILE")
      ->capture_default_str();
  emitCmd
      ->add_option("--weights", emit.weights,
                   "Bind the values of this safetensors file into the "
                   "res.param ops, so the IR carries its weights")
      ->type_name("FILE");
  addNonStrictFlag(emitCmd, emit.nonStrict);
  emitCmd->add_flag("--locations", emit.locations,
                    "Print the source location of every op");
  addPipelineOptions(emitCmd, emit.pipeline, /*defaultLevel=*/0);
  emitCmd->footer("Examples:\n"
                  "  resc emit examples/resnet20.res --format mlir -o "
                  "resnet20.mlir\n"
                  "  resc emit model.res --weights w.safetensors -o "
                  "bound.mlir   # runs without --weights\n"
                  "  resc emit examples/resnet50.res --format plan -O2   "
                  "# kernels, schedules, arena, calls\n");

  RunOptions run;
  CLI::App *runCmd =
      app.add_subcommand("run", "Run the model once and summarise its outputs");
  addCommon(runCmd, common);
  runCmd
      ->add_option("--weights", run.weights,
                   "Parameters from this safetensors file (default: "
                   "seeded, as init-weights writes them)")
      ->type_name("FILE");
  addNonStrictFlag(runCmd, run.nonStrict);
  runCmd
      ->add_option("--input", run.inputs,
                   "An input as NAME=FILE.npy (f32, C order); NAME= may be "
                   "left out for a model with one input. Inputs not given "
                   "are seeded")
      ->type_name("NAME=FILE");
  runCmd
      ->add_option("--output", run.outputs,
                   "Write an output as NAME=FILE.npy (NAME= may be left "
                   "out for a model with one output)")
      ->type_name("NAME=FILE");
  runCmd->add_option("--seed", run.seed, "Seed of seeded weights and inputs")
      ->type_name("S")
      ->capture_default_str();
  runCmd
      ->add_option("--batch", run.batch,
                   "Batch size of seeded inputs; other dynamic dimensions "
                   "need --input")
      ->type_name("N")
      ->capture_default_str()
      ->check(atLeast(1));
  CLI::Option *interpretFlag =
      runCmd->add_flag("--interpret", run.interpret,
                       "Run on the reference interpreter instead of compiled "
                       "Halide kernels (slow; the oracle of the tests)");
  // The interpreter has no kernels to time: refuse rather than ignore.
  runCmd
      ->add_flag("--profile", run.profile,
                 "Time each layer's kernel and print a table (time, share, "
                 "GFLOP/s); with --train, the training step's kernels")
      ->excludes(interpretFlag);
  CLI::Option *trainFlag = runCmd->add_flag(
      "--train", run.train,
      "Run one training step's forward pass (batch norm with batch "
      "statistics) and its backward pass on the model as written (no -O "
      "pipeline), printing the outputs and the gradients' sizes");
  runCmd
      ->add_option("--grad-output", run.gradOutputs,
                   "With --train: the gradient of an output as NAME=FILE.npy "
                   "(default: ones, the gradients of sum(output))")
      ->type_name("NAME=FILE")
      ->needs(trainFlag);
  runCmd
      ->add_option("--grads-out", run.gradsOut,
                   "With --train: write the gradient of sum(output * "
                   "grad-output) with respect to every trainable parameter "
                   "(under its name) and every input (under the input's "
                   "name) as safetensors")
      ->type_name("FILE")
      ->needs(trainFlag);
  runCmd
      ->add_option("--weights-out", run.weightsOut,
                   "With --train: write every parameter after the step as "
                   "safetensors: the batch norms' running statistics moved "
                   "by the batch (PyTorch's momentum update), the rest as "
                   "read (the step applies no optimiser)")
      ->type_name("FILE")
      ->needs(trainFlag);
  addPipelineOptions(runCmd, run.pipeline, /*defaultLevel=*/2);
  runCmd->footer(
      "Prints each output's shape, min/max/mean, its first values, the "
      "argmax of each row of a 2-D output, and the time of the run.\n\n"
      "Examples:\n"
      "  resc run examples/resnet20.res --seed 1\n"
      "  resc run model.res --weights w.safetensors --input image=x.npy "
      "--output logits.npy\n"
      "  resc run model.res --batch 8\n"
      "  resc run examples/resnet50.res --profile\n"
      "  resc run model.res -O0 --interpret   # the unoptimised model, "
      "slowly\n"
      "  resc run model.res --train --weights w.safetensors --input x=x.npy "
      "--grad-output dy.npy --output y.npy --grads-out grads.safetensors\n");

  InitWeightsOptions init;
  CLI::App *initCmd = app.add_subcommand(
      "init-weights",
      "Write seeded parameters (He for conv and dense weights, zero biases, "
      "BatchNorm 1/0 and running statistics 0/1) as safetensors");
  addCommon(initCmd, common);
  initCmd->add_option("-o,--output", init.output, "The safetensors file")
      ->type_name("FILE")
      ->required();
  initCmd->add_option("--seed", init.seed, "Seed of the generator")
      ->type_name("S")
      ->capture_default_str();
  initCmd->footer("The values equal those 'resc run' uses without --weights "
                  "(docs/weights.md).\n\nExample:\n"
                  "  resc init-weights examples/resnet20.res -o w.safetensors "
                  "--seed 7\n");

  BenchOptions bench;
  CLI::App *benchCmd = app.add_subcommand(
      "bench", "Time forward passes of the compiled model: median, min and "
               "max ms and GFLOP/s");
  addCommon(benchCmd, common);
  benchCmd
      ->add_option("--weights", bench.weights,
                   "Parameters from this safetensors file (default: seeded)")
      ->type_name("FILE");
  addNonStrictFlag(benchCmd, bench.nonStrict);
  benchCmd
      ->add_option("--seed", bench.seed, "Seed of seeded weights and inputs")
      ->type_name("S")
      ->capture_default_str();
  benchCmd->add_option("--batch", bench.batch, "Batch size of the input")
      ->type_name("N")
      ->capture_default_str()
      ->check(atLeast(1));
  benchCmd
      ->add_option("--threads", bench.threads,
                   "Threads of the kernels (default: HL_NUM_THREADS, else "
                   "one per core)")
      ->type_name("T")
      ->check(atLeast(1));
  benchCmd->add_option("--repeat", bench.repeat, "Timed forward passes")
      ->type_name("R")
      ->capture_default_str()
      ->check(atLeast(1));
  benchCmd
      ->add_option("--warmup", bench.warmup,
                   "Untimed forward passes before the timed ones")
      ->type_name("K")
      ->capture_default_str()
      ->check(atLeast(0));
  benchCmd->add_flag("--json", bench.json,
                     "Print one JSON object (median_ms, min_ms, max_ms, "
                     "gflops, batch, threads, ...) instead of text");
  benchCmd->add_flag("--train", bench.train,
                     "Also time training steps (training-mode forward, "
                     "backward, SGD update with momentum) of the model as "
                     "written, beside the forward pass");
  benchCmd->add_flag(
      "--profile", bench.profile,
      "Time each layer's kernel over the timed forward passes and "
      "print the table of 'resc run --profile' (warm caches); with "
      "--train, the training step's too; with --json, the forward "
      "pass's layers under \"layers\"");
  addPipelineOptions(benchCmd, bench.pipeline, /*defaultLevel=*/2);
  benchCmd->footer(
      "Compilation and weight packing are not timed. GFLOP/s counts two "
      "FLOPs per multiply-add as 'resc info' counts them.\n\nExamples:\n"
      "  resc bench examples/resnet50.res --threads 1\n"
      "  resc bench examples/resnet20.res --batch 64 --repeat 50 --json\n"
      "  resc bench examples/resnet20.res --batch 64 --train\n"
      "  resc bench examples/resnet50.res --threads 1 --profile\n");

  CompileOptions compile;
  CLI::App *compileCmd = addCompileCommand(app, common, compile);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  if (*emitCmd && emitCmd->count("--target") && emit.format != "plan") {
    llvm::errs() << "resc: error: --target applies to --format plan only\n";
    return 2;
  }
  // `run --train` differentiates the model as written (batch norm folding
  // does not hold in training): pipeline flags would be ignored, so they
  // are refused.
  if (*runCmd && run.train)
    for (const char *flag : {"-O", "--pipeline", "--print-ir-after-all",
                             "--print-ir-after", "--timing"})
      if (runCmd->count(flag)) {
        llvm::errs() << "resc: error: " << flag
                     << " does not apply to run --train, which "
                        "differentiates the model as written (no -O "
                        "pipeline: batch norm folding does not hold in "
                        "training)\n";
        return 2;
      }

  run.batchGiven = runCmd->count("--batch") > 0;

  try {
    if (*check)
      return runCheck(common);
    if (*infoCmd)
      return runInfo(common, info);
    if (*emitCmd)
      return runEmit(common, emit);
    if (*runCmd)
      return run.train ? runTrain(common, run) : runRun(common, run);
    if (*initCmd)
      return runInitWeights(common, init);
    if (*compileCmd)
      return runCompile(common, compile);
    if (*benchCmd)
      return runBench(common, bench);
  } catch (const std::bad_alloc &) {
    llvm::errs() << "resc: error: out of memory\n";
    return 1;
  } catch (const std::exception &e) {
    llvm::errs() << "resc: error: " << e.what() << "\n";
    return 1;
  }
  return 2;
}
