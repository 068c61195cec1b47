// The machine's float32 FMA peak, the 100% of the suite's "% of peak": each
// thread runs a loop of independent fused multiply-adds on the widest vectors
// the CPU has (AVX-512, else AVX2+FMA), with enough accumulators to cover the
// FMA latency on two FMA pipes. Prints one JSON object with the median,
// min and max GFLOP/s over `repeat` measurements.
//
//   fma_peak THREADS [REPEAT]
#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace {

// 12 accumulators: 2 pipes x 4 cycles of latency needs at least 8; more
// leaves slack without spilling (32 vector registers on AVX-512, 16 on AVX2).
constexpr int kAccumulators = 12;
constexpr long kIterations = 20'000'000;

#define FMA_BODY(VEC, SET1, FMA, ADD, STORE, LANES)                            \
  VEC acc[kAccumulators];                                                      \
  for (int i = 0; i < kAccumulators; ++i)                                      \
    acc[i] = SET1(seed + i);                                                   \
  const VEC a = SET1(0.999999f), b = SET1(1e-7f);                              \
  for (long it = 0; it < kIterations; ++it)                                    \
    for (int i = 0; i < kAccumulators; ++i)                                    \
      acc[i] = FMA(acc[i], a, b);                                              \
  VEC sum = acc[0];                                                            \
  for (int i = 1; i < kAccumulators; ++i)                                      \
    sum = ADD(sum, acc[i]);                                                    \
  alignas(64) float lanes[LANES];                                              \
  STORE(lanes, sum);                                                           \
  return lanes[0];

__attribute__((target("avx512f"))) float loopAvx512(float seed) {
  FMA_BODY(__m512, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_add_ps,
           _mm512_store_ps, 16)
}

__attribute__((target("avx2,fma"))) float loopAvx2(float seed) {
  FMA_BODY(__m256, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_add_ps,
           _mm256_store_ps, 8)
}

} // namespace

int main(int argc, char **argv) {
  int threads = argc > 1 ? std::atoi(argv[1]) : 1;
  int repeat = argc > 2 ? std::atoi(argv[2]) : 5;
  if (argc < 2 || argc > 3 || threads < 1 || repeat < 1) {
    std::fprintf(stderr, "usage: fma_peak THREADS [REPEAT]\n");
    return 2;
  }
  __builtin_cpu_init();
  const bool avx512 = __builtin_cpu_supports("avx512f");
  if (!avx512 &&
      !(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))) {
    std::fprintf(stderr, "fma_peak: error: the CPU has neither AVX-512 nor "
                         "AVX2 with FMA\n");
    return 1;
  }
  const int lanes = avx512 ? 16 : 8;
  std::vector<double> gflops;
  volatile float sink = 0;
  for (int r = 0; r < repeat; ++r) {
    std::vector<std::thread> pool;
    std::vector<float> results(threads);
    auto start = std::chrono::steady_clock::now();
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        results[t] = avx512 ? loopAvx512(float(t)) : loopAvx2(float(t));
      });
    for (std::thread &t : pool)
      t.join();
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    for (float v : results)
      sink = sink + v;
    double flops = 2.0 * lanes * kAccumulators * double(kIterations) * threads;
    gflops.push_back(flops / seconds / 1e9);
  }
  std::sort(gflops.begin(), gflops.end());
  std::printf("{\"isa\": \"%s\", \"threads\": %d, \"median_gflops\": %.1f, "
              "\"min_gflops\": %.1f, \"max_gflops\": %.1f}\n",
              avx512 ? "avx512" : "avx2", threads, gflops[gflops.size() / 2],
              gflops.front(), gflops.back());
  return 0;
}
