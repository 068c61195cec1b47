/* Trains digits.res, a small residual network, from scratch on the UCI 8x8
 * handwritten digits with the training library that `resc compile --train`
 * made of it, then saves the weights for `resc run`.
 *
 *   train_digits [--epochs N] [--lr X] [--seed S] [--batch B]
 *                [--data FILE] [--init FILE] [--out FILE] [--help]
 *
 * Each step: training-mode forward pass (batch statistics, running
 * statistics updated), softmax cross-entropy on the logits, backward pass
 * from the loss's gradient, SGD with momentum over the trainable
 * parameters, and the library told that its parameters changed. Each epoch
 * prints its mean loss, the training accuracy over its steps, the accuracy
 * of the inference entry on the held-out fifth, and its time. */
#include "digits_data.h"
#include "digits_model.h"

#include <resc/resc_train.h>

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* Test images written for the `resc run` command printed at the end. */
#define SAMPLE_IMAGES 8

typedef struct options {
  int epochs;
  double lr;
  unsigned long long seed;
  int batch;
  const char *data;
  const char *init;
  const char *out;
} options;

static void usage(FILE *to) {
  fprintf(
      to,
      "usage: train_digits [--epochs N] [--lr X] [--seed S] [--batch B]\n"
      "                    [--data FILE] [--init FILE] [--out FILE]\n"
      "  --epochs N   passes over the training images (default 20)\n"
      "  --lr X       peak learning rate of SGD with momentum 0.9, decayed\n"
      "               to 0 along a cosine (default 0.05)\n"
      "  --seed S     seed of the shuffling (default 1)\n"
      "  --batch B    images per step, at least 2 (default 32)\n"
      "  --data FILE  the digits (default %s)\n"
      "  --init FILE  starting weights, safetensors (default the seeded\n"
      "               ones of `resc init-weights`: %s)\n"
      "  --out FILE   where to save the trained weights (default\n"
      "               digits.safetensors)\n",
      DIGITS_DEFAULT_CSV, DIGITS_DEFAULT_INIT);
}

static int fail(const char *format, ...) {
  va_list args;
  va_start(args, format);
  fputs("train_digits: ", stderr);
  vfprintf(stderr, format, args);
  fputc('\n', stderr);
  va_end(args);
  return 1;
}

/* Parses a whole decimal number in [low, high]; 0 on success. */
static int parse_long(const char *text, long long low, long long high,
                      long long *out) {
  char *end = NULL;
  errno = 0;
  long long v = strtoll(text, &end, 10);
  if (errno || end == text || *end || v < low || v > high)
    return 1;
  *out = v;
  return 0;
}

/* 0 on success, 1 on an error (printed), -1 for --help. */
static int parse_options(int argc, char **argv, options *o) {
  for (int i = 1; i < argc; ++i) {
    const char *arg = argv[i];
    if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
      usage(stdout);
      return -1;
    }
    const char *value = i + 1 < argc ? argv[i + 1] : NULL;
    int known = !strcmp(arg, "--epochs") || !strcmp(arg, "--lr") ||
                !strcmp(arg, "--seed") || !strcmp(arg, "--batch") ||
                !strcmp(arg, "--data") || !strcmp(arg, "--init") ||
                !strcmp(arg, "--out");
    if (!known) {
      fail("unknown option '%s' (see --help)", arg);
      return 1;
    }
    if (!value) {
      fail("%s needs a value (see --help)", arg);
      return 1;
    }
    ++i;
    long long n = 0;
    if (!strcmp(arg, "--epochs")) {
      if (parse_long(value, 1, 100000, &n))
        return fail("--epochs must be a whole number from 1 to 100000, "
                    "not '%s'",
                    value);
      o->epochs = (int)n;
    } else if (!strcmp(arg, "--batch")) {
      if (parse_long(value, 2, 1438, &n))
        return fail("--batch must be a whole number from 2 to 1438 (batch "
                    "norm needs two images), not '%s'",
                    value);
      o->batch = (int)n;
    } else if (!strcmp(arg, "--seed")) {
      if (parse_long(value, 0, 0x7fffffffffffffffLL, &n))
        return fail("--seed must be a non-negative whole number, not '%s'",
                    value);
      o->seed = (unsigned long long)n;
    } else if (!strcmp(arg, "--lr")) {
      char *end = NULL;
      errno = 0;
      o->lr = strtod(value, &end);
      if (errno || end == value || *end || !(o->lr > 0) || !isfinite(o->lr))
        return fail("--lr must be a positive number, not '%s'", value);
    } else if (!strcmp(arg, "--data")) {
      o->data = value;
    } else if (!strcmp(arg, "--init")) {
      o->init = value;
    } else {
      o->out = value;
    }
  }
  return 0;
}

/* splitmix64: a small seeded generator, so the shuffle is the same on every
 * platform (rand() is not). */
static unsigned long long next_random(unsigned long long *state) {
  unsigned long long z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int argmax(const float *row) {
  int best = 0;
  for (int c = 1; c < DIGITS_CLASSES; ++c)
    if (row[c] > row[best])
      best = c;
  return best;
}

static void progress(int step, int steps, double loss) {
  const int width = 30;
  int filled = step * width / steps;
  printf("\r  [");
  for (int i = 0; i < width; ++i)
    putchar(i < filled ? '#' : '.');
  printf("] %d/%d loss %.4f", step, steps, loss);
  fflush(stdout);
}

/* Writes count images [count, 1, 8, 8] as a little-endian f32 .npy file,
 * the format `resc run --input` reads; 0 on success. */
static int write_npy(const char *path, const float *images, int64_t count) {
  char header[128];
  int n = snprintf(header, sizeof header,
                   "{'descr': '<f4', 'fortran_order': False, 'shape': "
                   "(%lld, 1, %d, %d), }",
                   (long long)count, DIGITS_SIDE, DIGITS_SIDE);
  /* Magic (6) + version (2) + length (2) + header + '\n', padded with
   * spaces to a multiple of 64 as numpy does. */
  int total = (10 + n + 1 + 63) / 64 * 64;
  int pad = total - 10 - n - 1;
  FILE *f = fopen(path, "wb");
  if (!f)
    return 1;
  unsigned short length = (unsigned short)(total - 10);
  unsigned char prefix[10] = {0x93,
                              'N',
                              'U',
                              'M',
                              'P',
                              'Y',
                              1,
                              0,
                              (unsigned char)(length & 0xff),
                              (unsigned char)(length >> 8)};
  int ok = fwrite(prefix, 1, 10, f) == 10 &&
           fwrite(header, 1, (size_t)n, f) == (size_t)n;
  for (int i = 0; ok && i < pad; ++i)
    ok = fputc(' ', f) != EOF;
  ok = ok && fputc('\n', f) != EOF;
  /* .npy data is little-endian; so is every target resc compiles for. */
  size_t values = (size_t)count * DIGITS_PIXELS;
  ok = ok && fwrite(images, sizeof(float), values, f) == values;
  return fclose(f) != 0 || !ok;
}

/* The trainable parameters of the instance, as the optimiser steps them. */
typedef struct param_list {
  size_t count;
  float **data;
  const float **grad;
  int64_t *sizes;
} param_list;

/* Fills `list` with the trainable parameters' arrays (allocating it on the
 * first call). Called again after every backward pass: the instance owns the
 * arrays, and the API does not promise that they stay where they are. */
static resc_status list_trainable(resc_model *model, param_list *list) {
  size_t total = 0;
  resc_status s = resc_model_num_parameters(model, &total);
  if (s != RESC_OK)
    return s;
  if (!list->data) {
    list->data = calloc(total ? total : 1, sizeof(float *));
    list->grad = calloc(total ? total : 1, sizeof(float *));
    list->sizes = calloc(total ? total : 1, sizeof(int64_t));
    if (!list->data || !list->grad || !list->sizes)
      return RESC_ERROR_OUT_OF_MEMORY;
  }
  list->count = 0;
  for (size_t i = 0; i < total; ++i) {
    const char *name = NULL;
    float *data = NULL;
    const float *grad = NULL;
    int64_t size = 0;
    int32_t trainable = 0;
    s = resc_model_parameter(model, i, &name, &data, &grad, &size, &trainable);
    if (s != RESC_OK)
      return s;
    if (!trainable)
      continue; /* running statistics: updated by the forward pass */
    list->data[list->count] = data;
    list->grad[list->count] = grad;
    list->sizes[list->count] = size;
    ++list->count;
  }
  return RESC_OK;
}

static void free_list(param_list *list) {
  free(list->data);
  free(list->grad);
  free(list->sizes);
}

/* The accuracy of the inference entry (running statistics) on `set`. */
static resc_status evaluate(resc_model *model, const digits_set *set,
                            float *logits, double *accuracy) {
  const float *in[1] = {set->images};
  float *out[1] = {logits};
  resc_status s = resc_model_run(model, in, set->count, out);
  if (s != RESC_OK)
    return s;
  int64_t hits = 0;
  for (int64_t i = 0; i < set->count; ++i)
    hits += argmax(logits + i * DIGITS_CLASSES) == set->labels[i];
  *accuracy = (double)hits / (double)set->count;
  return RESC_OK;
}

int main(int argc, char **argv) {
  options o = {20,
               0.05,
               1,
               32,
               DIGITS_DEFAULT_CSV,
               DIGITS_DEFAULT_INIT,
               "digits.safetensors"};
  int parsed = parse_options(argc, argv, &o);
  if (parsed)
    return parsed < 0 ? 0 : 2;

  digits_data data = {0};
  char error[512];
  if (digits_load(o.data, &data, error, sizeof error))
    return fail("%s", error);
  printf("digits: %lld training and %lld test images (%s)\n",
         (long long)data.train.count, (long long)data.test.count, o.data);

  int status = 1;
  resc_model *model = NULL;
  resc_optimizer *optimizer = NULL;
  param_list params = {0};
  int64_t *order = malloc(sizeof(int64_t) * (size_t)data.train.count);
  float *batch_images = malloc(sizeof(float) * (size_t)o.batch * DIGITS_PIXELS);
  int32_t *batch_labels = malloc(sizeof(int32_t) * (size_t)o.batch);
  float *logits = malloc(sizeof(float) * (size_t)o.batch * DIGITS_CLASSES);
  float *grad_logits = malloc(sizeof(float) * (size_t)o.batch * DIGITS_CLASSES);
  float *test_logits =
      malloc(sizeof(float) * (size_t)data.test.count * DIGITS_CLASSES);
  if (!order || !batch_images || !batch_labels || !logits || !grad_logits ||
      !test_logits) {
    fail("out of memory");
    goto done;
  }

  if (digits_model_create_from_file(o.init, &model) != RESC_OK) {
    fail("cannot create the model from '%s': %s", o.init,
         digits_model_error_message(NULL));
    goto done;
  }
  if (list_trainable(model, &params) != RESC_OK) {
    fail("cannot list the parameters: %s", resc_model_error_message(model));
    goto done;
  }
  resc_sgd_options sgd = {o.lr, 0.9, 0.0, 5e-4, 0};
  if (resc_optimizer_create_sgd(&sgd, params.count, params.sizes, &optimizer) !=
      RESC_OK) {
    fail("cannot create the optimiser: %s", resc_train_error_message());
    goto done;
  }

  for (int64_t i = 0; i < data.train.count; ++i)
    order[i] = i;
  unsigned long long rng = o.seed;
  const int steps = (int)(data.train.count / o.batch); /* drop the rest */
  const int show = isatty(fileno(stdout));
  double total_start = now(), accuracy = 0;
  for (int epoch = 1; epoch <= o.epochs; ++epoch) {
    double start = now();
    for (int64_t i = data.train.count - 1; i > 0; --i) {
      int64_t j = (int64_t)(next_random(&rng) % (unsigned long long)(i + 1));
      int64_t t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    /* Cosine decay from the peak to 0, one value per epoch. */
    double lr = o.lr * 0.5 * (1 + cos(M_PI * (epoch - 1) / o.epochs));
    if (resc_optimizer_set_learning_rate(optimizer, lr) != RESC_OK) {
      fail("%s", resc_optimizer_error_message(optimizer));
      goto done;
    }
    double loss_sum = 0;
    int64_t hits = 0;
    for (int step = 0; step < steps; ++step) {
      for (int b = 0; b < o.batch; ++b) {
        int64_t k = order[(int64_t)step * o.batch + b];
        memcpy(batch_images + (size_t)b * DIGITS_PIXELS,
               data.train.images + k * DIGITS_PIXELS,
               sizeof(float) * DIGITS_PIXELS);
        batch_labels[b] = data.train.labels[k];
      }
      const float *in[1] = {batch_images};
      float *out[1] = {logits};
      const float *grad_out[1] = {grad_logits};
      float loss = 0;
      if (resc_model_train_forward(model, in, o.batch, out) != RESC_OK) {
        fail("forward pass, step %d of epoch %d: %s", step + 1, epoch,
             resc_model_error_message(model));
        goto done;
      }
      if (resc_softmax_cross_entropy(logits, batch_labels, o.batch,
                                     DIGITS_CLASSES, &loss,
                                     grad_logits) != RESC_OK) {
        fail("loss, step %d of epoch %d: %s", step + 1, epoch,
             resc_train_error_message());
        goto done;
      }
      if (resc_model_backward(model, grad_out, NULL) != RESC_OK) {
        fail("backward pass, step %d of epoch %d: %s", step + 1, epoch,
             resc_model_error_message(model));
        goto done;
      }
      if (list_trainable(model, &params) != RESC_OK) {
        fail("step %d of epoch %d: %s", step + 1, epoch,
             resc_model_error_message(model));
        goto done;
      }
      if (resc_optimizer_step(optimizer, params.data, params.grad) != RESC_OK) {
        fail("optimiser, step %d of epoch %d: %s", step + 1, epoch,
             resc_optimizer_error_message(optimizer));
        goto done;
      }
      if (resc_model_parameters_changed(model) != RESC_OK) {
        fail("step %d of epoch %d: %s", step + 1, epoch,
             resc_model_error_message(model));
        goto done;
      }
      loss_sum += loss;
      for (int b = 0; b < o.batch; ++b)
        hits += argmax(logits + (size_t)b * DIGITS_CLASSES) == batch_labels[b];
      if (show)
        progress(step + 1, steps, loss_sum / (step + 1));
    }
    if (evaluate(model, &data.test, test_logits, &accuracy) != RESC_OK) {
      fail("evaluating epoch %d: %s", epoch, resc_model_error_message(model));
      goto done;
    }
    if (show)
      printf("\r\033[K");
    printf("epoch %2d/%d  lr %.4f  loss %.4f  train %6.2f%%  test %6.2f%%  "
           "%.2f s\n",
           epoch, o.epochs, lr, loss_sum / steps,
           100.0 * (double)hits / ((double)steps * o.batch), 100.0 * accuracy,
           now() - start);
    fflush(stdout);
  }
  printf("trained %d epochs in %.1f s; test accuracy %.2f%% (%lld of %lld)\n",
         o.epochs, now() - total_start, 100.0 * accuracy,
         (long long)llround(accuracy * (double)data.test.count),
         (long long)data.test.count);

  if (resc_model_save_weights(model, o.out) != RESC_OK) {
    fail("cannot save the weights to '%s': %s", o.out,
         resc_model_error_message(model));
    goto done;
  }
  printf("weights saved to %s\n", o.out);

  /* A few test images and their labels, so the saved weights can be
   * checked with the compiler itself. */
  /* Next to the weights, so that the printed command finds both. */
  const char *slash = strrchr(o.out, '/');
  int dir = slash ? (int)(slash - o.out + 1) : 0;
  char sample[4096];
  if (snprintf(sample, sizeof sample, "%.*sdigits_test_images.npy", dir,
               o.out) >= (int)sizeof sample) {
    fail("the path '%s' is too long", o.out);
    goto done;
  }
  if (write_npy(sample, data.test.images, SAMPLE_IMAGES)) {
    fail("cannot write '%s'", sample);
    goto done;
  }
  printf("the first %d test images are in %s, labels:", SAMPLE_IMAGES, sample);
  for (int i = 0; i < SAMPLE_IMAGES; ++i)
    printf(" %d", data.test.labels[i]);
  printf("\nclassify them with the saved weights (argmax per row):\n"
         "  resc run %s --weights %s --input image=%s\n",
         DIGITS_MODEL_SOURCE, o.out, sample);
  status = 0;

done:
  resc_optimizer_destroy(optimizer);
  if (model)
    resc_model_destroy(model);
  free_list(&params);
  free(order);
  free(batch_images);
  free(batch_labels);
  free(logits);
  free(grad_logits);
  free(test_logits);
  digits_free(&data);
  return status;
}
