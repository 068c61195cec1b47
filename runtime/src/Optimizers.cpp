//===- Optimizers.cpp - SGD and Adam over a fixed list of arrays ----------===//
//
// The optimisers of resc_train.h, with PyTorch's update rules written out in
// the header. A model hands its trainable parameters and their gradients as
// flat float arrays in a fixed order, so an optimiser is created once with
// their sizes and allocates all of its state up front: running out of memory
// shows at creation, not in the middle of a training run.
//
//===----------------------------------------------------------------------===//

#include "TrainStatus.h"

#include <cmath>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

using resc::train::describe;
using resc::train::failThread;

struct resc_optimizer {
  enum class Kind { Sgd, Adam };
  Kind kind = Kind::Sgd;
  resc_sgd_options sgd{};
  resc_adam_options adam{};
  std::vector<int64_t> counts;
  // SGD: the momentum buffers (none without momentum). Adam: the first
  // moments here and the second ones in `second`.
  std::vector<std::vector<float>> first;
  std::vector<std::vector<float>> second;
  int64_t steps = 0;
  // Mutable: the const getters keep their errors here too.
  mutable std::string message;

  resc_status fail(resc_status status, std::string text) const {
    message = std::move(text);
    return status;
  }
};

namespace {

using Kind = resc_optimizer::Kind;

// The option checks return "" when the value is acceptable, otherwise the
// reason, so that create and set_learning_rate word their errors alike.
std::string checkNonNegative(const char *name, double value) {
  if (std::isfinite(value) && value >= 0)
    return "";
  return describe(name, value) + "; it must be a finite number >= 0";
}

std::string checkFinite(const char *name, double value) {
  if (std::isfinite(value))
    return "";
  return describe(name, value) + "; it must be a finite number";
}

std::string checkBeta(const char *name, double value) {
  if (value >= 0 && value < 1)
    return "";
  return describe(name, value) + "; it must be in [0, 1)";
}

std::string checkSgd(const resc_sgd_options &o) {
  for (const std::string &reason :
       {checkNonNegative("options->learning_rate", o.learning_rate),
        checkNonNegative("options->momentum", o.momentum),
        checkFinite("options->dampening", o.dampening),
        checkNonNegative("options->weight_decay", o.weight_decay)})
    if (!reason.empty())
      return reason;
  if (o.nesterov != 0 && o.nesterov != 1)
    return "options->nesterov is " + std::to_string(o.nesterov) +
           "; it must be 0 or 1";
  // PyTorch refuses the same combination: Nesterov's look-ahead is defined
  // for an undamped momentum.
  if (o.nesterov && (o.momentum <= 0 || o.dampening != 0))
    return "options->nesterov is 1 with " + describe("momentum", o.momentum) +
           " and " + describe("dampening", o.dampening) +
           "; Nesterov momentum needs momentum > 0 and dampening 0";
  return "";
}

std::string checkAdam(const resc_adam_options &o) {
  for (const std::string &reason :
       {checkNonNegative("options->learning_rate", o.learning_rate),
        checkBeta("options->beta1", o.beta1),
        checkBeta("options->beta2", o.beta2),
        checkNonNegative("options->epsilon", o.epsilon),
        checkNonNegative("options->weight_decay", o.weight_decay)})
    if (!reason.empty())
      return reason;
  return "";
}

// Everything both creates share: the arguments, then the state, allocated
// before the optimiser is handed out. `configured` holds the kind and the
// checked options; `buffers` is how many state arrays each parameter needs.
resc_status create(const char *fn, const resc_optimizer &configured,
                   const std::string &optionError, size_t buffers,
                   size_t numParams, const int64_t *counts,
                   resc_optimizer **out) {
  std::string prefix = std::string(fn) + ": ";
  if (!out)
    return failThread(RESC_ERROR_NULL_POINTER, prefix + "out is NULL");
  *out = nullptr;
  if (!optionError.empty())
    return failThread(RESC_ERROR_INVALID_ARGUMENT, prefix + optionError);
  if (numParams < 1)
    return failThread(RESC_ERROR_INVALID_ARGUMENT,
                      prefix + "num_params is 0; an optimizer needs at "
                               "least one parameter array");
  if (!counts)
    return failThread(RESC_ERROR_NULL_POINTER, prefix + "counts is NULL");
  for (size_t i = 0; i < numParams; ++i)
    if (counts[i] < 1)
      return failThread(RESC_ERROR_INVALID_ARGUMENT,
                        prefix + "counts[" + std::to_string(i) + "] is " +
                            std::to_string(counts[i]) +
                            "; it must be at least 1");
  try {
    auto optimizer = std::make_unique<resc_optimizer>(configured);
    optimizer->counts.assign(counts, counts + numParams);
    auto allocate = [&](std::vector<std::vector<float>> &state) {
      state.resize(numParams);
      for (size_t i = 0; i < numParams; ++i)
        state[i].assign(static_cast<size_t>(counts[i]), 0.0f);
    };
    if (buffers >= 1)
      allocate(optimizer->first);
    if (buffers >= 2)
      allocate(optimizer->second);
    *out = optimizer.release();
  } catch (const std::bad_alloc &) {
    return failThread(RESC_ERROR_OUT_OF_MEMORY,
                      prefix + "cannot allocate the optimizer state");
  } catch (const std::length_error &) {
    return failThread(RESC_ERROR_OUT_OF_MEMORY,
                      prefix + "cannot allocate the optimizer state");
  }
  return RESC_OK;
}

void stepSgd(const resc_sgd_options &o, bool firstStep, int64_t count,
             float *param, const float *grad, float *buffer) {
  for (int64_t i = 0; i < count; ++i) {
    double g = grad[i];
    if (o.weight_decay != 0)
      g += o.weight_decay * param[i];
    if (o.momentum != 0) {
      // PyTorch starts the buffer at the gradient itself, undamped.
      double b = firstStep ? g : o.momentum * buffer[i] + (1 - o.dampening) * g;
      buffer[i] = static_cast<float>(b);
      g = o.nesterov ? g + o.momentum * buffer[i] : buffer[i];
    }
    param[i] = static_cast<float>(param[i] - o.learning_rate * g);
  }
}

void stepAdam(const resc_adam_options &o, int64_t step, int64_t count,
              float *param, const float *grad, float *m, float *v) {
  double stepSize = o.learning_rate / (1 - std::pow(o.beta1, step));
  double correction2Sqrt = std::sqrt(1 - std::pow(o.beta2, step));
  for (int64_t i = 0; i < count; ++i) {
    double g = grad[i];
    if (o.weight_decay != 0)
      g += o.weight_decay * param[i];
    m[i] = static_cast<float>(o.beta1 * m[i] + (1 - o.beta1) * g);
    v[i] = static_cast<float>(o.beta2 * v[i] + (1 - o.beta2) * g * g);
    double denom =
        std::sqrt(static_cast<double>(v[i])) / correction2Sqrt + o.epsilon;
    param[i] = static_cast<float>(param[i] - stepSize * m[i] / denom);
  }
}

resc_status nullOptimizer(const char *fn) {
  return failThread(RESC_ERROR_NULL_POINTER,
                    std::string(fn) + ": optimizer is NULL");
}

} // namespace

extern "C" {

resc_adam_options resc_adam_default_options(void) {
  resc_adam_options options;
  options.learning_rate = 1e-3;
  options.beta1 = 0.9;
  options.beta2 = 0.999;
  options.epsilon = 1e-8;
  options.weight_decay = 0;
  return options;
}

resc_status resc_optimizer_create_sgd(const resc_sgd_options *options,
                                      size_t num_params, const int64_t *counts,
                                      resc_optimizer **out) {
  const char *fn = "resc_optimizer_create_sgd";
  if (!options) {
    if (out)
      *out = nullptr;
    return failThread(RESC_ERROR_NULL_POINTER,
                      std::string(fn) + ": options is NULL");
  }
  resc_optimizer configured;
  configured.kind = Kind::Sgd;
  configured.sgd = *options;
  // Plain SGD keeps no state.
  size_t buffers = options->momentum != 0 ? 1 : 0;
  return create(fn, configured, checkSgd(*options), buffers, num_params, counts,
                out);
}

resc_status resc_optimizer_create_adam(const resc_adam_options *options,
                                       size_t num_params, const int64_t *counts,
                                       resc_optimizer **out) {
  const char *fn = "resc_optimizer_create_adam";
  if (!options) {
    if (out)
      *out = nullptr;
    return failThread(RESC_ERROR_NULL_POINTER,
                      std::string(fn) + ": options is NULL");
  }
  resc_optimizer configured;
  configured.kind = Kind::Adam;
  configured.adam = *options;
  return create(fn, configured, checkAdam(*options), 2, num_params, counts,
                out);
}

resc_status resc_optimizer_destroy(resc_optimizer *optimizer) {
  delete optimizer;
  return RESC_OK;
}

resc_status resc_optimizer_step(resc_optimizer *optimizer, float *const *params,
                                const float *const *grads) {
  if (!optimizer)
    return nullOptimizer("resc_optimizer_step");
  std::string prefix = "resc_optimizer_step: ";
  if (!params)
    return optimizer->fail(RESC_ERROR_NULL_POINTER, prefix + "params is NULL");
  if (!grads)
    return optimizer->fail(RESC_ERROR_NULL_POINTER, prefix + "grads is NULL");
  // Every pointer first: on an error no parameter has moved.
  for (size_t i = 0; i < optimizer->counts.size(); ++i) {
    if (!params[i])
      return optimizer->fail(RESC_ERROR_NULL_POINTER, prefix + "params[" +
                                                          std::to_string(i) +
                                                          "] is NULL");
    if (!grads[i])
      return optimizer->fail(RESC_ERROR_NULL_POINTER, prefix + "grads[" +
                                                          std::to_string(i) +
                                                          "] is NULL");
  }

  int64_t step = ++optimizer->steps;
  for (size_t i = 0; i < optimizer->counts.size(); ++i) {
    int64_t count = optimizer->counts[i];
    if (optimizer->kind == Kind::Sgd)
      stepSgd(optimizer->sgd, step == 1, count, params[i], grads[i],
              optimizer->first.empty() ? nullptr : optimizer->first[i].data());
    else
      stepAdam(optimizer->adam, step, count, params[i], grads[i],
               optimizer->first[i].data(), optimizer->second[i].data());
  }
  return RESC_OK;
}

resc_status resc_optimizer_set_learning_rate(resc_optimizer *optimizer,
                                             double learning_rate) {
  if (!optimizer)
    return nullOptimizer("resc_optimizer_set_learning_rate");
  std::string reason = checkNonNegative("learning_rate", learning_rate);
  if (!reason.empty())
    return optimizer->fail(RESC_ERROR_INVALID_ARGUMENT,
                           "resc_optimizer_set_learning_rate: " + reason);
  if (optimizer->kind == Kind::Sgd)
    optimizer->sgd.learning_rate = learning_rate;
  else
    optimizer->adam.learning_rate = learning_rate;
  return RESC_OK;
}

resc_status resc_optimizer_learning_rate(const resc_optimizer *optimizer,
                                         double *learning_rate) {
  if (!optimizer)
    return nullOptimizer("resc_optimizer_learning_rate");
  if (!learning_rate)
    return optimizer->fail(
        RESC_ERROR_NULL_POINTER,
        "resc_optimizer_learning_rate: learning_rate is NULL");
  *learning_rate = optimizer->kind == Kind::Sgd ? optimizer->sgd.learning_rate
                                                : optimizer->adam.learning_rate;
  return RESC_OK;
}

resc_status resc_optimizer_num_steps(const resc_optimizer *optimizer,
                                     int64_t *steps) {
  if (!optimizer)
    return nullOptimizer("resc_optimizer_num_steps");
  if (!steps)
    return optimizer->fail(RESC_ERROR_NULL_POINTER,
                           "resc_optimizer_num_steps: steps is NULL");
  *steps = optimizer->steps;
  return RESC_OK;
}

const char *resc_optimizer_error_message(const resc_optimizer *optimizer) {
  return optimizer ? optimizer->message.c_str() : resc_train_error_message();
}

} // extern "C"
