/* The digits reader of digits_data.h. The whole file is parsed into bytes
 * first and split afterwards, so a bad line anywhere leaves nothing
 * allocated and the caller's sets empty. */
#include "digits_data.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A line holds at most 65 fields of a few digits; anything longer is not
 * this format (and a binary file is caught here rather than parsed). */
#define LINE_CAPACITY 512
#define FIELDS (DIGITS_PIXELS + 1)

static void report(char *error, size_t size, const char *format, ...) {
  if (!error || size == 0)
    return;
  va_list args;
  va_start(args, format);
  vsnprintf(error, size, format, args);
  va_end(args);
}

/* Reads one line without its '\n' (and a '\r' before it) into `line`.
 * Returns 1 for a line, 0 at the end of the file, -1 for a line that does
 * not fit, -2 for a read error. NUL bytes are kept, so that the parser sees
 * and names them. */
static int readLine(FILE *file, char *line, size_t *length) {
  size_t n = 0;
  int c;
  while ((c = getc(file)) != EOF && c != '\n') {
    if (n == LINE_CAPACITY)
      return -1;
    line[n++] = (char)c;
  }
  if (c == EOF && ferror(file))
    return -2;
  if (c == EOF && n == 0)
    return 0;
  if (n > 0 && line[n - 1] == '\r')
    --n;
  *length = n;
  return 1;
}

/* Parses the 65 fields of one line into values. Returns 0, or writes the
 * reason (without the file and line) to `why` and returns -1. */
static int parseLine(const char *line, size_t length, int values[FIELDS],
                     char *why, size_t whySize) {
  size_t pos = 0;
  int field = 0;
  if (length == 0) {
    snprintf(why, whySize, "empty line");
    return -1;
  }
  for (;;) {
    size_t start = pos;
    long value = 0;
    while (pos < length && line[pos] >= '0' && line[pos] <= '9') {
      if (value < 1000000)
        value = value * 10 + (line[pos] - '0');
      ++pos;
    }
    if (pos == start || (pos < length && line[pos] != ',')) {
      if (pos < length && line[pos] != ',')
        snprintf(why, whySize,
                 "field %d has the character 0x%02x; expected digits "
                 "separated by commas",
                 field + 1, (unsigned)(unsigned char)line[pos]);
      else
        snprintf(why, whySize, "field %d is empty", field + 1);
      return -1;
    }
    if (field < FIELDS)
      values[field] = (int)value;
    ++field;
    if (pos == length)
      break;
    ++pos; /* the comma */
    if (pos == length) {
      snprintf(why, whySize, "field %d is empty", field + 1);
      return -1;
    }
  }
  if (field != FIELDS) {
    snprintf(why, whySize, "%d fields; expected %d (64 pixels, then the label)",
             field, FIELDS);
    return -1;
  }
  for (int i = 0; i < DIGITS_PIXELS; ++i)
    if (values[i] > DIGITS_MAX_PIXEL) {
      snprintf(why, whySize, "pixel %d is %d, outside 0..%d", i + 1, values[i],
               DIGITS_MAX_PIXEL);
      return -1;
    }
  if (values[DIGITS_PIXELS] >= DIGITS_CLASSES) {
    snprintf(why, whySize, "label is %d, outside 0..%d", values[DIGITS_PIXELS],
             DIGITS_CLASSES - 1);
    return -1;
  }
  return 0;
}

/* Reads every line of `file` into a growing array of 65 bytes per image. */
static int readAll(FILE *file, const char *path, unsigned char **rows,
                   int64_t *count, char *error, size_t errorSize) {
  char line[LINE_CAPACITY];
  size_t capacity = 0;
  *rows = NULL;
  *count = 0;
  for (int64_t lineNo = 1;; ++lineNo) {
    size_t length = 0;
    int got = readLine(file, line, &length);
    if (got == 0)
      return 0;
    if (got == -2) {
      report(error, errorSize, "%s:%lld: read error (%s)", path,
             (long long)lineNo, strerror(errno));
      return -1;
    }
    if (got == -1) {
      report(error, errorSize,
             "%s:%lld: line longer than %d characters; expected 65 "
             "comma-separated integers",
             path, (long long)lineNo, LINE_CAPACITY);
      return -1;
    }
    int values[FIELDS];
    char why[160];
    if (parseLine(line, length, values, why, sizeof(why)) != 0) {
      report(error, errorSize, "%s:%lld: %s", path, (long long)lineNo, why);
      return -1;
    }
    if ((size_t)*count == capacity) {
      size_t grown = capacity ? 2 * capacity : 2048;
      unsigned char *bigger = realloc(*rows, grown * FIELDS);
      if (!bigger) {
        report(error, errorSize, "%s: out of memory at line %lld", path,
               (long long)lineNo);
        return -1;
      }
      *rows = bigger;
      capacity = grown;
    }
    for (int i = 0; i < FIELDS; ++i)
      (*rows)[(size_t)*count * FIELDS + i] = (unsigned char)values[i];
    ++*count;
  }
}

static int allocateSet(digits_set *set, int64_t count) {
  set->count = count;
  set->images = malloc(sizeof(float) * (size_t)count * DIGITS_PIXELS);
  set->labels = malloc(sizeof(int32_t) * (size_t)count);
  return set->images && set->labels ? 0 : -1;
}

static void appendImage(digits_set *set, int64_t index,
                        const unsigned char *row) {
  for (int i = 0; i < DIGITS_PIXELS; ++i)
    set->images[index * DIGITS_PIXELS + i] =
        (float)row[i] / (float)DIGITS_MAX_PIXEL;
  set->labels[index] = row[DIGITS_PIXELS];
}

int digits_load(const char *path, digits_data *out, char *error,
                size_t error_size) {
  if (error && error_size > 0)
    error[0] = '\0';
  if (!out) {
    report(error, error_size, "digits_load: out is NULL");
    return -1;
  }
  memset(out, 0, sizeof(*out));
  if (!path) {
    report(error, error_size, "digits_load: path is NULL");
    return -1;
  }
  FILE *file = fopen(path, "rb");
  if (!file) {
    report(error, error_size, "%s: cannot open (%s)", path, strerror(errno));
    return -1;
  }
  unsigned char *rows = NULL;
  int64_t count = 0;
  int status = readAll(file, path, &rows, &count, error, error_size);
  fclose(file);
  if (status == 0 && count < DIGITS_TEST_EVERY) {
    report(error, error_size,
           "%s: %lld images; the split into training and test sets needs at "
           "least %d",
           path, (long long)count, DIGITS_TEST_EVERY);
    status = -1;
  }
  if (status != 0) {
    free(rows);
    return -1;
  }

  int64_t testCount = count / DIGITS_TEST_EVERY;
  if (allocateSet(&out->train, count - testCount) != 0 ||
      allocateSet(&out->test, testCount) != 0) {
    digits_free(out);
    free(rows);
    report(error, error_size, "%s: out of memory for %lld images", path,
           (long long)count);
    return -1;
  }
  int64_t train = 0, test = 0;
  for (int64_t i = 0; i < count; ++i) {
    const unsigned char *row = rows + (size_t)i * FIELDS;
    if (i % DIGITS_TEST_EVERY == DIGITS_TEST_EVERY - 1)
      appendImage(&out->test, test++, row);
    else
      appendImage(&out->train, train++, row);
  }
  free(rows);
  return 0;
}

void digits_free(digits_data *data) {
  if (!data)
    return;
  free(data->train.images);
  free(data->train.labels);
  free(data->test.images);
  free(data->test.labels);
  memset(data, 0, sizeof(*data));
}
