// `resc run --train`: one training-mode forward pass and its backward pass,
// for tests and for users checking gradients against another framework. The
// model as written (no -O pipeline: BN folding does not hold in training)
// gets its training function from res-generate-gradients, which runs on the
// JIT or, with --interpret, on the reference interpreter.
#include "compiler/driver/LoadModel.h"
#include "compiler/tools/resc/Commands.h"
#include "compiler/tools/resc/RunInputs.h"

#include "compiler/codegen/JitModel.h"
#include "compiler/interpreter/Interpreter.h"
#include "compiler/passes/Passes.h"
#include "compiler/weights/ParamBinding.h"

#include "resc/Npy.h"
#include "resc/Safetensors.h"

#include "mlir/Pass/PassManager.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cmath>

using namespace mlir;

namespace resc::cli {
namespace {

std::string resultAttr(func::FuncOp fn, unsigned index, StringRef name) {
  auto attr = fn.getResultAttrOfType<StringAttr>(index, name);
  return attr ? attr.str() : "";
}

/// The gradients of the outputs: from --grad-output files, otherwise ones
/// (so the gradients are those of sum(Y)). The batch is the inputs'.
bool prepareOutputGrads(func::FuncOp model, const RunOptions &options,
                        int64_t batch, std::vector<resc::Tensor> &grads) {
  std::vector<std::string> names;
  for (unsigned i = 0; i < model.getNumResults(); ++i)
    names.push_back(outputName(model, i));
  std::map<std::string, std::string> files;
  for (const std::string &spec : options.gradOutputs)
    if (!splitSpec(spec, names, "output", files))
      return false;
  for (unsigned i = 0; i < names.size(); ++i) {
    std::vector<int64_t> dims = typeDims(model.getResultTypes()[i]);
    if (!dims.empty() && dims[0] < 0)
      dims[0] = batch;
    resc::Tensor tensor;
    auto file = files.find(names[i]);
    if (file == files.end()) {
      tensor.shape = dims;
      tensor.data.assign(resc::checkedNumel(dims), 1.0f);
    } else {
      std::string error;
      if (!resc::readNpy(file->second, tensor, error)) {
        reportError(error);
        return false;
      }
      if (tensor.shape != dims) {
        reportError("--grad-output for '" + names[i] + "' from " +
                    file->second + " has shape " +
                    resc::shapeToString(tensor.shape) +
                    " but the output has shape " + resc::shapeToString(dims));
        return false;
      }
    }
    grads.push_back(std::move(tensor));
  }
  return true;
}

double l2Norm(const resc::Tensor &t) {
  double sum = 0;
  for (float v : t.data)
    sum += double(v) * v;
  return std::sqrt(sum);
}

} // namespace

int runTrain(const CommonOptions &common, const RunOptions &options) {
  ModelSession session;
  if (!session.load(common.file, common.model, common.maxMemory))
    return 1;
  ModuleOp module = session.module();
  func::FuncOp model = session.model();
  session.diagnostics().setShowRemarks(common.verbose);

  RunSetup setup;
  if (!prepareRun(module, model, options, common.verbose, setup))
    return 1;
  std::vector<resc::Tensor> &inputs = setup.inputs;
  int64_t batch = inputs.empty() || inputs[0].shape.empty()
                      ? options.batch
                      : inputs[0].shape[0];
  std::vector<resc::Tensor> outputGrads;
  if (!prepareOutputGrads(model, options, batch, outputGrads))
    return 1;
  inputs.insert(inputs.end(), outputGrads.begin(), outputGrads.end());

  std::string bindError;
  if (!res::attachValues(module, setup.params, bindError)) {
    reportError(bindError);
    return 1;
  }
  PassManager pm(&session.context());
  pm.addPass(res::createGenerateGradients({model.getName().str()}));
  if (failed(pm.run(module)))
    return 1;
  std::string trainName = (model.getName() + "_train").str();
  auto train = module.lookupSymbol<func::FuncOp>(trainName);

  using Clock = std::chrono::steady_clock;
  auto start = Clock::now();
  FailureOr<std::vector<resc::Tensor>> results = failure();
  std::string engine = "reference interpreter";
  if (options.interpret) {
    results = res::interpret(train, inputs, {});
  } else {
    res::codegen::CompileOptions compileOptions;
    compileOptions.function = trainName;
    auto compiled =
        res::codegen::CompiledModel::compile(module, compileOptions);
    if (failed(compiled) || failed(compiled->bindParams({})))
      return 1;
    engine = "compiled: " + std::to_string(compiled->numKernels()) + " kernels";
    compiled->setProfiling(options.profile);
    start = Clock::now();
    results = compiled->run(inputs);
    if (succeeded(results) && options.profile)
      printProfile(compiled->profile());
  }
  double ms =
      std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  if (failed(results))
    return 1;

  resc::TensorMap grads;
  size_t paramGrads = 0, runningStats = 0;
  for (unsigned i = 0; i < results->size(); ++i) {
    std::string role = resultAttr(train, i, "res.role");
    std::string name = resultAttr(train, i, "res.name");
    resc::Tensor &tensor = (*results)[i];
    if (role == "output") {
      printSummary(name, tensor);
      auto file = setup.outputFiles.find(name);
      std::string error;
      if (file != setup.outputFiles.end() &&
          !resc::writeNpy(file->second, tensor, error)) {
        reportError(error);
        return 1;
      }
    } else if (role == "input_grad" || role == "param_grad") {
      if (role == "input_grad")
        llvm::outs() << llvm::format("gradient of input '%s': %s, L2 norm "
                                     "%.6g\n",
                                     name.c_str(),
                                     resc::shapeToString(tensor.shape).c_str(),
                                     l2Norm(tensor));
      else
        ++paramGrads;
      if (!grads.emplace(name, std::move(tensor)).second) {
        reportError("the input and a parameter are both named '" + name +
                    "': their gradients cannot share a safetensors key");
        return 1;
      }
    } else if (role == "running_stat") {
      ++runningStats;
      auto param = setup.params.find(name);
      if (param != setup.params.end())
        param->second = std::move(tensor);
    }
  }
  llvm::outs() << "gradients of " << paramGrads << " parameters; "
               << runningStats << " running statistics updated\n";
  llvm::outs() << llvm::format("time: %.3f ms", ms) << " (" << engine
               << ", forward and backward)\n";
  for (const auto &[file, tensors] :
       {std::pair{&options.gradsOut, &grads},
        std::pair{&options.weightsOut, &setup.params}}) {
    std::string error;
    if (!file->empty() && !resc::writeSafetensors(*file, *tensors, error)) {
      reportError(error);
      return 1;
    }
  }
  return 0;
}

} // namespace resc::cli
