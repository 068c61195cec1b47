/* Reads the UCI handwritten digits (data/digits.csv: 1,797 images of 8x8
 * pixels, see data/README.md) for the training demo, in plain C with no
 * dependency beyond the C library.
 *
 * Each line of the file is 64 pixel counts 0..16 (row by row) and then the
 * digit 0..9, comma-separated. Every line is checked; the first bad one is
 * an error whose message names the file, the line and what is wrong.
 *
 * The split is deterministic: the image at 0-based position i in the file
 * goes to the test set when i % 5 == 4 (every fifth image, a held-out fifth),
 * otherwise to the training set. */
#ifndef RESC_EXAMPLES_DIGITS_DATA_H
#define RESC_EXAMPLES_DIGITS_DATA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DIGITS_SIDE 8
#define DIGITS_PIXELS 64
#define DIGITS_CLASSES 10
/** The largest pixel value: the number of set pixels in a 4x4 block. */
#define DIGITS_MAX_PIXEL 16
/** One image in this many goes to the test set. */
#define DIGITS_TEST_EVERY 5

typedef struct digits_set {
  int64_t count;
  /** count x 64 floats, pixel / 16 in [0, 1], row by row: the layout of a
   *  [count, 1, 8, 8] NCHW tensor. */
  float *images;
  /** count labels, 0..9. */
  int32_t *labels;
} digits_set;

typedef struct digits_data {
  digits_set train;
  digits_set test;
} digits_data;

/** Loads and splits `path`. Returns 0 on success; otherwise non-zero, *out
 *  is left empty (all zero) and `error` (if not NULL) holds a message of at
 *  most error_size - 1 characters, such as
 *  "digits.csv:12: pixel 3 is 17, outside 0..16". */
int digits_load(const char *path, digits_data *out, char *error,
                size_t error_size);

/** Frees what digits_load allocated and empties *data; safe on an empty or
 *  NULL one. */
void digits_free(digits_data *data);

#ifdef __cplusplus
}
#endif

#endif
