/* A plain C program using two AOT libraries at once (resnet20, weights from
 * a file, and tiny, weights embedded): outputs against the reference
 * interpreter's, and error codes for bad arguments and bad weights, with
 * the process alive afterwards.
 *
 *   aot_c_test resnet20.safetensors ref_resnet20_b8.npy ref_tiny_b8.npy
 *              SCRATCH_DIR */
#include "AotTestValues.h"
#include "resnet20.h"
#include "tiny.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                              \
    }                                                                          \
  } while (0)

/* The data of a little-endian f32 .npy file (format 1.0, as resc writes). */
static float *readNpyData(const char *path, long *count) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  unsigned char head[10];
  float *data = NULL;
  if (fread(head, 1, 10, f) == 10 && memcmp(head, "\x93NUMPY", 6) == 0) {
    long headerLen = head[8] | (head[9] << 8);
    fseek(f, 0, SEEK_END);
    long bytes = ftell(f) - 10 - headerLen;
    fseek(f, 10 + headerLen, SEEK_SET);
    data = malloc((size_t)bytes);
    *count = bytes / 4;
    if (fread(data, 4, (size_t)*count, f) != (size_t)*count) {
      free(data);
      data = NULL;
    }
  }
  fclose(f);
  return data;
}

/* max |a - b| / max |b|, the tests' relative error. */
static double relError(const float *a, const float *b, long n) {
  double err = 0, scale = 0;
  for (long i = 0; i < n; ++i) {
    err = fmax(err, fabs((double)a[i] - b[i]));
    scale = fmax(scale, fabs((double)b[i]));
  }
  return scale > 0 ? err / scale : err;
}

static void checkAgainst(const char *refPath, const float *out, long n) {
  long count = 0;
  float *ref = readNpyData(refPath, &count);
  CHECK(ref != NULL);
  CHECK(count == n);
  if (ref && count == n) {
    double e = relError(out, ref, n);
    printf("%s: relative error %.3g\n", refPath, e);
    CHECK(e < 1e-4);
  }
  free(ref);
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: aot_c_test WEIGHTS REF_RESNET20 REF_TINY DIR\n");
    return 2;
  }
  const int64_t batch = 8;

  /* resnet20: weights from a file. */
  resc_model *r20 = NULL;
  CHECK(resnet20_create_from_file(argv[1], &r20) == RESC_OK);
  float *in = malloc(sizeof(float) * batch * RESNET20_INPUT0_SIZE);
  float *out = malloc(sizeof(float) * batch * RESNET20_OUTPUT0_SIZE);
  for (long i = 0; i < batch * RESNET20_INPUT0_SIZE; ++i)
    in[i] = aotTestValue(i);
  CHECK(resnet20_run(r20, in, batch, out) == RESC_OK);
  checkAgainst(argv[2], out, batch * RESNET20_OUTPUT0_SIZE);

  /* tiny: embedded weights, in the same program. */
  resc_model *tiny = NULL;
  CHECK(tiny_create(&tiny) == RESC_OK);
  float *tin = malloc(sizeof(float) * batch * TINY_INPUT0_SIZE);
  float *tout = malloc(sizeof(float) * batch * TINY_OUTPUT0_SIZE);
  for (long i = 0; i < batch * TINY_INPUT0_SIZE; ++i)
    tin[i] = aotTestValue(i);
  CHECK(tiny_run(tiny, tin, batch, tout) == RESC_OK);
  checkAgainst(argv[3], tout, batch * TINY_OUTPUT0_SIZE);

  /* Bad arguments give codes and messages. */
  CHECK(resnet20_run(NULL, in, batch, out) == RESC_ERROR_NULL_POINTER);
  CHECK(resnet20_run(r20, NULL, batch, out) == RESC_ERROR_NULL_POINTER);
  CHECK(strstr(resnet20_error_message(r20), "NULL") != NULL);
  CHECK(resnet20_run(r20, in, batch, NULL) == RESC_ERROR_NULL_POINTER);
  CHECK(resnet20_run(r20, in, 0, out) == RESC_ERROR_INVALID_ARGUMENT);
  CHECK(resnet20_run(r20, in, -3, out) == RESC_ERROR_INVALID_ARGUMENT);
  CHECK(strstr(resnet20_error_message(r20), "batch") != NULL);
  CHECK(tiny_run(r20, tin, batch, tout) == RESC_ERROR_INVALID_ARGUMENT);
  CHECK(strstr(resnet20_error_message(r20), "tiny") != NULL);
  CHECK(resnet20_create(NULL) == RESC_ERROR_NULL_POINTER);

  /* Bad weights: none embedded, a missing file, a truncated file. */
  resc_model *bad = (resc_model *)1;
  CHECK(resnet20_create(&bad) == RESC_ERROR_WEIGHTS);
  CHECK(bad == NULL);
  CHECK(strstr(resnet20_error_message(NULL), "without weights") != NULL);
  CHECK(resnet20_create_from_file("/nonexistent/w.safetensors", &bad) ==
        RESC_ERROR_WEIGHTS);
  CHECK(resnet20_create_from_file(NULL, &bad) == RESC_ERROR_NULL_POINTER);
  char truncated[4096];
  snprintf(truncated, sizeof truncated, "%s/truncated.safetensors", argv[4]);
  FILE *src = fopen(argv[1], "rb"), *dst = fopen(truncated, "wb");
  CHECK(src && dst);
  if (src && dst) {
    char buf[5000];
    size_t n = fread(buf, 1, sizeof buf, src);
    fwrite(buf, 1, n, dst);
  }
  if (src)
    fclose(src);
  if (dst)
    fclose(dst);
  CHECK(resnet20_create_from_file(truncated, &bad) == RESC_ERROR_WEIGHTS);
  printf("truncated weights: %s\n", resnet20_error_message(NULL));
  CHECK(bad == NULL);

  /* Still alive, and the instances still work. */
  CHECK(resnet20_run(r20, in, 1, out) == RESC_OK);
  CHECK(resnet20_destroy(r20) == RESC_OK);
  CHECK(tiny_destroy(tiny) == RESC_OK);
  free(in);
  free(out);
  free(tin);
  free(tout);
  if (failures)
    fprintf(stderr, "%d checks failed\n", failures);
  else
    printf("all checks passed\n");
  return failures ? 1 : 0;
}
