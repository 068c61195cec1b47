//===- Loss.cpp - Softmax cross-entropy and mean squared error ------------===//
//
// The losses of resc_train.h. Both are means over the batch, as PyTorch's
// default reduction, and write their gradient in the same pass so that a
// training loop reads the logits once.
//
//===----------------------------------------------------------------------===//

#include "TrainStatus.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

using resc::train::failThread;

namespace {

resc_status checkCount(const char *function, const char *name, int64_t value) {
  if (value >= 1)
    return RESC_OK;
  return failThread(RESC_ERROR_INVALID_ARGUMENT,
                    std::string(function) + ": " + name + " is " +
                        std::to_string(value) + "; it must be at least 1");
}

resc_status nullArgument(const char *function, const char *name) {
  return failThread(RESC_ERROR_NULL_POINTER,
                    std::string(function) + ": " + name + " is NULL");
}

// The logits' log-sum-exp of one row: the maximum is taken out first so that
// exp never overflows (logits of 1e4 are fine), and the sum runs in double.
double logSumExp(const float *row, int64_t classes) {
  float max = *std::max_element(row, row + classes);
  double sum = 0;
  for (int64_t j = 0; j < classes; ++j)
    sum += std::exp(static_cast<double>(row[j]) - max);
  return max + std::log(sum);
}

} // namespace

extern "C" resc_status resc_softmax_cross_entropy(const float *logits,
                                                  const int32_t *labels,
                                                  int64_t batch,
                                                  int64_t classes, float *loss,
                                                  float *grad_logits) {
  const char *fn = "resc_softmax_cross_entropy";
  if (!logits)
    return nullArgument(fn, "logits");
  if (!labels)
    return nullArgument(fn, "labels");
  if (!loss)
    return nullArgument(fn, "loss");
  if (resc_status s = checkCount(fn, "batch", batch))
    return s;
  if (resc_status s = checkCount(fn, "classes", classes))
    return s;
  if (batch > std::numeric_limits<int64_t>::max() / classes)
    return failThread(RESC_ERROR_INVALID_ARGUMENT,
                      std::string(fn) + ": batch " + std::to_string(batch) +
                          " times classes " + std::to_string(classes) +
                          " overflows int64");
  // Every label first: on an error nothing is written.
  for (int64_t b = 0; b < batch; ++b)
    if (labels[b] < 0 || labels[b] >= classes)
      return failThread(RESC_ERROR_INVALID_ARGUMENT,
                        std::string(fn) + ": labels[" + std::to_string(b) +
                            "] is " + std::to_string(labels[b]) +
                            ", outside [0, " + std::to_string(classes) + ")");

  double total = 0;
  for (int64_t b = 0; b < batch; ++b) {
    const float *row = logits + b * classes;
    double lse = logSumExp(row, classes);
    total += lse - row[labels[b]];
    if (!grad_logits)
      continue;
    float *grad = grad_logits + b * classes;
    for (int64_t j = 0; j < classes; ++j) {
      double p = std::exp(static_cast<double>(row[j]) - lse);
      grad[j] = static_cast<float>((p - (j == labels[b] ? 1.0 : 0.0)) / batch);
    }
  }
  *loss = static_cast<float>(total / batch);
  return RESC_OK;
}

extern "C" resc_status resc_mse_loss(const float *pred, const float *target,
                                     int64_t count, float *loss, float *grad) {
  const char *fn = "resc_mse_loss";
  if (!pred)
    return nullArgument(fn, "pred");
  if (!target)
    return nullArgument(fn, "target");
  if (!loss)
    return nullArgument(fn, "loss");
  if (resc_status s = checkCount(fn, "count", count))
    return s;

  double total = 0;
  for (int64_t i = 0; i < count; ++i) {
    double diff = static_cast<double>(pred[i]) - target[i];
    total += diff * diff;
    if (grad)
      grad[i] = static_cast<float>(2 * diff / count);
  }
  *loss = static_cast<float>(total / count);
  return RESC_OK;
}
