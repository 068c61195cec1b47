/* resc_train.h is a C header: this file compiles it as C (C99, no C++
 * features leaking in) and runs one loss and one optimiser step through it,
 * for TrainHelpersTest's UsableFromC. */
#include "resc/resc_train.h"

#include <math.h>

int resc_test_train_header_from_c(void);

int resc_test_train_header_from_c(void) {
  const float logits[2] = {0.0f, 0.0f};
  const int32_t label = 1;
  float loss = 0.0f, grad[2];
  if (resc_softmax_cross_entropy(logits, &label, 1, 2, &loss, grad) != RESC_OK)
    return 1;
  if (fabsf(loss - logf(2.0f)) > 1e-6f || fabsf(grad[1] + 0.5f) > 1e-6f)
    return 2;

  resc_sgd_options options = {0.5, 0.0, 0.0, 0.0, 0};
  int64_t count = 2;
  resc_optimizer *optimizer = NULL;
  if (resc_optimizer_create_sgd(&options, 1, &count, &optimizer) != RESC_OK)
    return 3;
  float param[2] = {1.0f, 1.0f};
  float *params[1] = {param};
  const float *grads[1] = {grad};
  resc_status status = resc_optimizer_step(optimizer, params, grads);
  resc_optimizer_destroy(optimizer);
  if (status != RESC_OK)
    return 4;
  /* 1 - 0.5 * (+-0.5) */
  return fabsf(param[0] - 0.75f) < 1e-6f && fabsf(param[1] - 1.25f) < 1e-6f ? 0
                                                                            : 5;
}
