// `resc bench --train`: times one training step of the JIT-compiled training
// function: binding the current parameters (what an updated model costs:
// packed weights re-derived), the training-mode forward and backward pass,
// and an SGD update (momentum 0.9, weight decay 5e-4) with the runtime's
// optimiser, the step PyTorch's `loss.backward(); opt.step()` times.
#include "compiler/tools/resc/BenchTrain.h"
#include "compiler/driver/LoadModel.h"

#include "compiler/codegen/JitModel.h"
#include "compiler/passes/Passes.h"

#include "resc/resc_train.h"

#include "mlir/Pass/PassManager.h"

#include <algorithm>
#include <chrono>
#include <memory>

using namespace mlir;

namespace resc::cli {
namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n == 0 ? 0 : n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

} // namespace

bool benchTrainStep(ModuleOp module, const std::string &modelName,
                    const std::vector<resc::Tensor> &inputs,
                    resc::TensorMap params, const BenchOptions &options,
                    TrainStepTimes &times) {
  PassManager pm(module.getContext());
  // A training step updates parameters: no input gradients, as PyTorch
  // computes none for an input that does not require them.
  pm.addPass(res::createGenerateGradients({modelName, /*inputGrads=*/false}));
  if (failed(pm.run(module)))
    return false;
  std::string trainName = modelName + "_train";
  auto train = module.lookupSymbol<func::FuncOp>(trainName);
  res::codegen::CompileOptions compileOptions;
  compileOptions.function = trainName;
  auto compiled = res::codegen::CompiledModel::compile(module, compileOptions);
  if (failed(compiled))
    return false;
  times.kernels = compiled->numKernels();

  // The output gradients are ones (the gradient of sum(y)); their values do
  // not change the time.
  std::vector<resc::Tensor> args = inputs;
  std::vector<std::string> gradNames;
  std::vector<unsigned> gradResults;
  for (unsigned i = 0; i < train.getNumResults(); ++i) {
    auto role = train.getResultAttrOfType<StringAttr>(i, "res.role");
    auto name = train.getResultAttrOfType<StringAttr>(i, "res.name");
    if (role && role.getValue() == "output") {
      std::vector<int64_t> dims = typeDims(train.getResultTypes()[i]);
      dims[0] = options.batch;
      resc::Tensor dy;
      dy.shape = dims;
      dy.data.assign(resc::checkedNumel(dims), 1.0f);
      args.push_back(std::move(dy));
    } else if (role && role.getValue() == "param_grad") {
      gradNames.push_back(name.str());
      gradResults.push_back(i);
    }
  }
  std::vector<int64_t> counts;
  std::vector<float *> paramData;
  for (const std::string &name : gradNames) {
    resc::Tensor &p = params.at(name);
    counts.push_back(p.numel());
    paramData.push_back(p.data.data());
  }
  resc_sgd_options sgd = {/*learning_rate=*/0.01, /*momentum=*/0.9,
                          /*dampening=*/0, /*weight_decay=*/5e-4,
                          /*nesterov=*/0};
  resc_optimizer *raw = nullptr;
  if (resc_optimizer_create_sgd(&sgd, counts.size(), counts.data(), &raw) !=
      RESC_OK) {
    reportError(std::string("cannot create the optimiser: ") +
                resc_train_error_message());
    return false;
  }
  std::unique_ptr<resc_optimizer, decltype(&resc_optimizer_destroy)> sgdState(
      raw, resc_optimizer_destroy);

  using Clock = std::chrono::steady_clock;
  auto ms = [](Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
  };
  std::vector<double> steps, passes, updates;
  // Kept across steps, as a training loop keeps its gradient buffers.
  std::vector<resc::Tensor> results;
  for (int i = 0; i < options.warmup + options.repeat; ++i) {
    if (i == options.warmup)
      compiled->setProfiling(options.profile);
    auto start = Clock::now();
    if (failed(compiled->run(args, params, results)))
      return false;
    auto mid = Clock::now();
    std::vector<const float *> grads;
    for (unsigned r : gradResults)
      grads.push_back(results[r].data.data());
    if (resc_optimizer_step(sgdState.get(), paramData.data(), grads.data()) !=
        RESC_OK) {
      reportError(std::string("optimiser step: ") +
                  resc_optimizer_error_message(sgdState.get()));
      return false;
    }
    auto stop = Clock::now();
    if (i < options.warmup)
      continue;
    steps.push_back(ms(start, stop));
    passes.push_back(ms(start, mid));
    updates.push_back(ms(mid, stop));
  }
  times.stepMs = median(steps);
  times.minStepMs = *std::min_element(steps.begin(), steps.end());
  times.maxStepMs = *std::max_element(steps.begin(), steps.end());
  times.forwardBackwardMs = median(passes);
  times.optimiserMs = median(updates);
  if (options.profile)
    times.profile = compiled->profile();
  return true;
}

} // namespace resc::cli
