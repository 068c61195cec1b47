// Times one of the suite's AOT-compiled models, as the peers' scripts time
// theirs: weights bound into the library at build time (the file they came
// from, in BENCH_WEIGHTS_DIR, is what the peers load), one input of raw
// little-endian float32, `warmup` untimed and `repeat` timed forward passes,
// then the output written as raw float32 for bench/compare.py to check.
// Prints one JSON object; peak_rss_mib is this process's peak resident
// memory (getrusage), which includes the weights and the activations.
//
//   bench_aot MODEL INPUT.bin BATCH THREADS REPEAT WARMUP OUTPUT.bin
//   bench_aot --weights-dir   (prints where the weights files are)
#include "convnext_tiny.h"
#include "efficientnet_b0.h"
#include "mobilenet_v2.h"
#include "resnet18.h"
#include "resnet20.h"
#include "resnet50.h"
#include "vit_b_16.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/resource.h>
#include <vector>

namespace {

struct ModelApi {
  const char *name;
  resc_status (*create)(resc_model **);
  resc_status (*destroy)(resc_model *);
  const char *(*errorMessage)(const resc_model *);
  resc_status (*setNumThreads)(int);
  resc_status (*run)(resc_model *, const float *, int64_t, float *);
  long inputSize, outputSize;
};

#define RESC_BENCH_MODEL(n, N)                                                 \
  ModelApi {                                                                   \
#n, n##_create, n##_destroy, n##_error_message, n##_set_num_threads,       \
        n##_run, N##_INPUT0_SIZE, N##_OUTPUT0_SIZE                             \
  }

const ModelApi kModels[] = {
    RESC_BENCH_MODEL(resnet20, RESNET20),
    RESC_BENCH_MODEL(resnet18, RESNET18),
    RESC_BENCH_MODEL(resnet50, RESNET50),
    RESC_BENCH_MODEL(mobilenet_v2, MOBILENET_V2),
    RESC_BENCH_MODEL(efficientnet_b0, EFFICIENTNET_B0),
    RESC_BENCH_MODEL(convnext_tiny, CONVNEXT_TINY),
    RESC_BENCH_MODEL(vit_b_16, VIT_B_16)};

[[noreturn]] void fail(const std::string &message) {
  std::fprintf(stderr, "bench_aot: error: %s\n", message.c_str());
  std::exit(1);
}

long positive(const char *text, const char *what, long minimum) {
  char *end = nullptr;
  long value = std::strtol(text, &end, 10);
  if (*text == '\0' || *end != '\0' || value < minimum)
    fail(std::string(what) + " must be an integer of at least " +
         std::to_string(minimum) + ", got '" + text + "'");
  return value;
}

std::vector<float> readFloats(const char *path, long count) {
  std::vector<float> data(count);
  FILE *f = std::fopen(path, "rb");
  if (!f)
    fail(std::string("cannot read ") + path);
  size_t got = std::fread(data.data(), sizeof(float), data.size(), f);
  bool extra = std::fgetc(f) != EOF;
  std::fclose(f);
  if (got != data.size() || extra)
    fail(std::string(path) + " does not hold " + std::to_string(count) +
         " floats");
  return data;
}

} // namespace

int main(int argc, char **argv) {
  if (argc == 2 && std::strcmp(argv[1], "--weights-dir") == 0) {
    std::printf("%s\n", BENCH_WEIGHTS_DIR);
    return 0;
  }
  if (argc != 8) {
    std::fprintf(stderr, "usage: bench_aot MODEL INPUT.bin BATCH THREADS "
                         "REPEAT WARMUP OUTPUT.bin\n");
    return 2;
  }
  const ModelApi *api = nullptr;
  for (const ModelApi &m : kModels)
    if (std::strcmp(m.name, argv[1]) == 0)
      api = &m;
  if (!api)
    fail(std::string("unknown model '") + argv[1] +
         "'; built in: resnet20, resnet18, resnet50, mobilenet_v2, "
         "efficientnet_b0, convnext_tiny, vit_b_16");
  long batch = positive(argv[3], "BATCH", 1);
  int threads = int(positive(argv[4], "THREADS", 1));
  long repeat = positive(argv[5], "REPEAT", 1);
  long warmup = positive(argv[6], "WARMUP", 0);

  if (api->setNumThreads(threads) != RESC_OK)
    fail("cannot set the thread count");
  resc_model *model = nullptr;
  if (api->create(&model) != RESC_OK)
    fail(api->errorMessage(nullptr));
  std::vector<float> input = readFloats(argv[2], api->inputSize * batch);
  std::vector<float> output(api->outputSize * batch);

  using Clock = std::chrono::steady_clock;
  std::vector<double> ms;
  for (long i = 0; i < warmup + repeat; ++i) {
    auto start = Clock::now();
    if (api->run(model, input.data(), batch, output.data()) != RESC_OK)
      fail(api->errorMessage(model));
    auto stop = Clock::now();
    if (i >= warmup)
      ms.push_back(
          std::chrono::duration<double, std::milli>(stop - start).count());
  }
  std::sort(ms.begin(), ms.end());
  size_t n = ms.size();
  double median = n % 2 ? ms[n / 2] : (ms[n / 2 - 1] + ms[n / 2]) / 2;

  FILE *out = std::fopen(argv[7], "wb");
  if (!out || std::fwrite(output.data(), sizeof(float), output.size(), out) !=
                  output.size())
    fail(std::string("cannot write ") + argv[7]);
  std::fclose(out);
  api->destroy(model);

  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  std::printf("{\"median_ms\": %.6f, \"min_ms\": %.6f, \"max_ms\": %.6f, "
              "\"peak_rss_mib\": %.1f}\n",
              median, ms.front(), ms.back(), usage.ru_maxrss / 1024.0);
  return 0;
}
