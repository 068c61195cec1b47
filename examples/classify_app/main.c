/* Classifies a batch of images with an AOT-compiled network and prints each
 * image's class and score, then the latency of the batch.
 *   classify [BATCH] [RUNS] */
#include "classifier.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv) {
  const int64_t batch = argc > 1 ? atoll(argv[1]) : 8;
  const int runs = argc > 2 ? atoi(argv[2]) : 10;
  resc_model *model = NULL;
  if (classifier_create(&model) != RESC_OK) {
    fprintf(stderr, "classify: %s\n", classifier_error_message(NULL));
    return 1;
  }
  const int64_t inSize = CLASSIFIER_INPUT0_SIZE,
                classes = CLASSIFIER_OUTPUT0_SIZE;
  float *images =
      malloc(sizeof(float) * (size_t)(batch > 0 ? batch : 1) * inSize);
  float *scores =
      malloc(sizeof(float) * (size_t)(batch > 0 ? batch : 1) * classes);
  /* Stand-in images: a different smooth pattern for each. */
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t i = 0; i < inSize; ++i)
      images[b * inSize + i] = (float)((i * (b + 3)) % 97) / 97.0f - 0.5f;

  /* The first run allocates the arena; time the ones after it. */
  resc_status status = classifier_run(model, images, batch, scores);
  double best = 1e30;
  for (int r = 0; status == RESC_OK && r < runs; ++r) {
    double start = now();
    status = classifier_run(model, images, batch, scores);
    double t = now() - start;
    best = t < best ? t : best;
  }
  if (status != RESC_OK) {
    fprintf(stderr, "classify: %s\n", classifier_error_message(model));
    classifier_destroy(model);
    return 1;
  }
  for (int64_t b = 0; b < batch; ++b) {
    const float *row = scores + b * classes;
    int64_t top = 0;
    for (int64_t c = 1; c < classes; ++c)
      if (row[c] > row[top])
        top = c;
    printf("image %lld: class %lld (score %.4f)\n", (long long)b,
           (long long)top, row[top]);
  }
  printf("latency: %.3f ms per batch of %lld (%.3f ms per image, best of %d)\n",
         best * 1e3, (long long)batch, best * 1e3 / (double)batch, runs);
  classifier_destroy(model);
  free(images);
  free(scores);
  return 0;
}
