/* Training helpers of resc's runtime: the losses a training loop puts on a
 * model's output, and the optimisers that update its parameters from the
 * gradients that a compiled backward entry writes. Plain C, usable from C and
 * C++; no dependency on a model library (only resc_status and its codes come
 * from resc_runtime.h).
 *
 * Every function returns a resc_status (RESC_OK is 0) and never aborts. On an
 * error nothing is written to the outputs, and a message that names the bad
 * argument and its value is kept: by the optimiser for calls on one
 * (resc_optimizer_error_message), otherwise per thread
 * (resc_train_error_message). A NULL pointer where one is required gives
 * RESC_ERROR_NULL_POINTER; a count < 1, a label out of range or a
 * hyperparameter that PyTorch would refuse (negative, NaN, infinite) gives
 * RESC_ERROR_INVALID_ARGUMENT.
 *
 * Values (logits, gradients, parameters) are not checked: a NaN in them
 * propagates to the loss or to the parameters as it does in PyTorch, which
 * is how a diverging run shows itself.
 *
 * Arithmetic: sums run in double; each element's update is computed in
 * double from float state and rounded once when stored, so results agree
 * with PyTorch's float32 ones to within a few units in the last place. */
#ifndef RESC_RUNTIME_RESC_TRAIN_H
#define RESC_RUNTIME_RESC_TRAIN_H

#include "resc_runtime.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The message of this thread's last failed call that has no optimiser
 *  (a loss, a failed create, a call on a NULL optimiser); "" when none.
 *  Valid until the thread's next failing call. */
const char *resc_train_error_message(void);

/* ---- Losses --------------------------------------------------------------
 * Each writes the mean loss over the batch to *loss and, when `grad` is not
 * NULL, the gradient of that loss with respect to its first input. */

/** Softmax cross-entropy over `classes` logits per sample (C order,
 *  [batch, classes]); labels[b] in [0, classes). With
 *  lse_b = m_b + log(sum_j exp(logits[b][j] - m_b)), m_b = max_j logits[b][j]
 *  (so large logits do not overflow):
 *    loss = (1/batch) * sum_b (lse_b - logits[b][labels[b]])
 *    grad_logits[b][j] = (exp(logits[b][j] - lse_b) - [j == labels[b]])
 *                        / batch
 *  which is torch.nn.functional.cross_entropy(logits, labels) with
 *  reduction='mean' (no class weights, no ignore_index: every label must be
 *  a class, and no label smoothing). */
resc_status resc_softmax_cross_entropy(const float *logits,
                                       const int32_t *labels, int64_t batch,
                                       int64_t classes, float *loss,
                                       float *grad_logits);

/** Mean squared error over `count` values:
 *    loss = (1/count) * sum_i (pred[i] - target[i])^2
 *    grad[i] = 2 * (pred[i] - target[i]) / count
 *  (torch.nn.functional.mse_loss with reduction='mean'). */
resc_status resc_mse_loss(const float *pred, const float *target, int64_t count,
                          float *loss, float *grad);

/* ---- Optimisers ----------------------------------------------------------
 * An optimiser updates a fixed list of parameter arrays: created with the
 * element count of each, it then takes on every step the same number of
 * parameter arrays (updated in place) and gradient arrays, in the same
 * order. It keeps its state (momentum buffers, Adam's moments, the step
 * count) in float arrays of the same sizes. One optimiser is used by one
 * thread at a time. */

typedef struct resc_optimizer resc_optimizer;

/** torch.optim.SGD (maximize=False). For each element, with g its gradient,
 *  p the parameter and b the momentum buffer:
 *    g = g + weight_decay * p                       (if weight_decay != 0)
 *    b = g on the first step, afterwards
 *    b = momentum * b + (1 - dampening) * g         (if momentum != 0)
 *    g = g + momentum * b if nesterov, else g = b   (if momentum != 0)
 *    p = p - learning_rate * g
 *  learning_rate, momentum and weight_decay must be >= 0 and finite;
 *  dampening finite; nesterov (0 or 1) needs momentum > 0 and
 *  dampening == 0. */
typedef struct resc_sgd_options {
  double learning_rate;
  double momentum;
  double dampening;
  double weight_decay;
  int32_t nesterov;
} resc_sgd_options;

/** torch.optim.Adam (amsgrad=False, maximize=False). For each element, at
 *  step t = 1, 2, ... with g its gradient, p the parameter, m and v the first
 *  and second moments (both start at 0):
 *    g = g + weight_decay * p                       (if weight_decay != 0,
 *                                                    L2, not AdamW)
 *    m = beta1 * m + (1 - beta1) * g
 *    v = beta2 * v + (1 - beta2) * g * g
 *    p = p - (learning_rate / (1 - beta1^t)) * m
 *            / (sqrt(v) / sqrt(1 - beta2^t) + epsilon)
 *  learning_rate, epsilon and weight_decay must be >= 0 and finite, beta1
 *  and beta2 in [0, 1). resc_adam_default_options gives PyTorch's defaults
 *  (1e-3, 0.9, 0.999, 1e-8, 0). */
typedef struct resc_adam_options {
  double learning_rate;
  double beta1;
  double beta2;
  double epsilon;
  double weight_decay;
} resc_adam_options;

/** PyTorch's defaults for Adam. */
resc_adam_options resc_adam_default_options(void);

/** Creates an optimiser over `num_params` (>= 1) arrays of counts[i] (>= 1)
 *  floats each. On failure *out is NULL and resc_train_error_message() says
 *  why (RESC_ERROR_OUT_OF_MEMORY when the state cannot be allocated). */
resc_status resc_optimizer_create_sgd(const resc_sgd_options *options,
                                      size_t num_params, const int64_t *counts,
                                      resc_optimizer **out);
resc_status resc_optimizer_create_adam(const resc_adam_options *options,
                                       size_t num_params, const int64_t *counts,
                                       resc_optimizer **out);
/** Destroys an optimiser; NULL is accepted (RESC_OK). */
resc_status resc_optimizer_destroy(resc_optimizer *optimizer);

/** One update: params[i] and grads[i] point to counts[i] floats each, for
 *  every i < num_params. The parameters are updated in place; the gradients
 *  are only read. */
resc_status resc_optimizer_step(resc_optimizer *optimizer, float *const *params,
                                const float *const *grads);

/** Changes the learning rate for the following steps (a schedule); the
 *  state is kept, as when PyTorch's param_group['lr'] is changed. */
resc_status resc_optimizer_set_learning_rate(resc_optimizer *optimizer,
                                             double learning_rate);
resc_status resc_optimizer_learning_rate(const resc_optimizer *optimizer,
                                         double *learning_rate);
/** Steps taken so far. */
resc_status resc_optimizer_num_steps(const resc_optimizer *optimizer,
                                     int64_t *steps);

/** The message of the last failed call on `optimizer`; for NULL the same as
 *  resc_train_error_message(). "" when none. Valid until the next call on
 *  the same optimiser (or thread). */
const char *resc_optimizer_error_message(const resc_optimizer *optimizer);

#ifdef __cplusplus
}
#endif

#endif
