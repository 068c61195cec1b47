//===- StressTest.cpp - Concurrent and repeated use of an AOT model -------===//
//
// A small AOT-compiled model (tests/aot/tiny.res with embedded weights) is
// run from many threads: 8 threads each with its own instance, and several
// threads sharing one instance. Every output is compared bit for bit with a
// single-threaded run of the same input, so any race in the runtime (arena,
// plan, error state) that corrupts a result fails the test. The same source
// builds stress_tests_tsan with ThreadSanitizer (docs/security.md).
//
//===----------------------------------------------------------------------===//

#include "stress_tiny.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr int kThreads = 8;
constexpr int kPassesPerThread = 1000;
constexpr int64_t kInputSize = STRESS_TINY_INPUT0_SIZE;
constexpr int64_t kOutputSize = STRESS_TINY_OUTPUT0_SIZE;

/// Pass `index` has its own batch (1 to 4, so the arena grows and shrinks)
/// and its own values in [-2, 2).
struct Sample {
  int64_t batch;
  std::vector<float> input;
};

Sample sample(uint64_t index) {
  Sample s;
  s.batch = static_cast<int64_t>(index % 4) + 1;
  s.input.resize(s.batch * kInputSize);
  uint64_t state = index * 0x9E3779B97F4A7C15ull + 1;
  for (float &v : s.input) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    v = static_cast<float>(state >> 40) / float(1 << 22) - 2.0f;
  }
  return s;
}

/// Owns an instance.
struct Instance {
  resc_model *model = nullptr;
  Instance() {
    EXPECT_EQ(stress_tiny_create(&model), RESC_OK)
        << stress_tiny_error_message(nullptr);
  }
  ~Instance() {
    if (model)
      stress_tiny_destroy(model);
  }
};

bool run(resc_model *model, const Sample &s, std::vector<float> &out,
         resc_status *status = nullptr) {
  out.assign(s.batch * kOutputSize, 0.0f);
  resc_status st = stress_tiny_run(model, s.input.data(), s.batch, out.data());
  if (status)
    *status = st;
  return st == RESC_OK;
}

bool sameBits(const std::vector<float> &a, const std::vector<float> &b) {
  return a.size() == b.size() &&
         std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

/// Outputs of passes [0, count) run one after another on one instance.
std::vector<std::vector<float>> singleThreaded(uint64_t count) {
  Instance instance;
  std::vector<std::vector<float>> outputs(count);
  for (uint64_t i = 0; i < count; ++i)
    EXPECT_TRUE(run(instance.model, sample(i), outputs[i]))
        << stress_tiny_error_message(instance.model);
  return outputs;
}

} // namespace

TEST(Stress, EightThreadsEachWithItsOwnInstance) {
  const auto reference = singleThreaded(uint64_t(kThreads) * kPassesPerThread);
  // Passes 0 and 4 have batch 1 and different values: so must the outputs,
  // or the bit-exact comparisons below would prove nothing.
  ASSERT_FALSE(sameBits(reference[0], reference[4]));
  std::atomic<int> failures{0}, mismatches{0}, passes{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      Instance instance;
      if (!instance.model) {
        ++failures;
        return;
      }
      std::vector<float> out;
      for (int i = 0; i < kPassesPerThread; ++i) {
        // Thread t runs passes t, t + 8, ...: neighbours differ in batch.
        uint64_t index = uint64_t(i) * kThreads + t;
        if (!run(instance.model, sample(index), out))
          ++failures;
        else if (!sameBits(out, reference[index]))
          ++mismatches;
        ++passes;
      }
    });
  for (auto &thread : threads)
    thread.join();
  EXPECT_EQ(passes.load(), kThreads * kPassesPerThread);
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(mismatches.load(), 0);
}

// One instance called from several threads at once: calls are serialised
// (resc_runtime.h), so every call succeeds with the single-threaded result.
TEST(Stress, SharedInstanceFromSeveralThreads) {
  constexpr int kSharing = 4, kPasses = 250;
  const auto reference = singleThreaded(uint64_t(kSharing) * kPasses);
  Instance shared;
  ASSERT_NE(shared.model, nullptr);
  std::atomic<int> failures{0}, mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kSharing; ++t)
    threads.emplace_back([&, t] {
      std::vector<float> out;
      for (int i = 0; i < kPasses; ++i) {
        uint64_t index = uint64_t(i) * kSharing + t;
        resc_status status;
        if (!run(shared.model, sample(index), out, &status))
          ++failures;
        else if (!sameBits(out, reference[index]))
          ++mismatches;
      }
    });
  for (auto &thread : threads)
    thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(mismatches.load(), 0);
}

// Determinism: the same input gives the same bits run after run, on a fresh
// instance, and with any size of Halide's thread pool (no kernel splits a
// reduction across threads; docs/aot.md).
TEST(Stress, BitIdenticalAcrossRunsInstancesAndThreadCounts) {
  constexpr uint64_t kCount = 40;
  const auto first = singleThreaded(kCount);
  Instance instance;
  std::vector<float> out;
  for (int round = 0; round < 3; ++round)
    for (uint64_t i = 0; i < kCount; ++i) {
      ASSERT_TRUE(run(instance.model, sample(i), out));
      EXPECT_TRUE(sameBits(out, first[i]))
          << "pass " << i << " round " << round;
    }
  for (int threads : {1, 2, 3, 0}) {
    ASSERT_EQ(stress_tiny_set_num_threads(threads), RESC_OK);
    Instance fresh;
    for (uint64_t i = 0; i < kCount; ++i) {
      ASSERT_TRUE(run(fresh.model, sample(i), out));
      EXPECT_TRUE(sameBits(out, first[i]))
          << "pass " << i << " with " << threads << " threads";
    }
  }
}

// The error state is per instance: a failing call on one instance while
// another runs neither disturbs the other's results nor borrows its message.
TEST(Stress, ErrorsOnOneInstanceDoNotLeakIntoAnother) {
  const auto reference = singleThreaded(200);
  Instance good, bad;
  std::atomic<int> mismatches{0}, wrongErrors{0};
  std::thread worker([&] {
    std::vector<float> out;
    for (uint64_t i = 0; i < 200; ++i)
      if (!run(good.model, sample(i), out) || !sameBits(out, reference[i]))
        ++mismatches;
  });
  std::vector<float> in(kInputSize), out(kOutputSize);
  for (int i = 0; i < 200; ++i) {
    if (stress_tiny_run(bad.model, in.data(), 0, out.data()) !=
            RESC_ERROR_INVALID_ARGUMENT ||
        std::string(stress_tiny_error_message(bad.model)).find("batch") ==
            std::string::npos)
      ++wrongErrors;
  }
  worker.join();
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_EQ(wrongErrors.load(), 0);
  EXPECT_STREQ(stress_tiny_error_message(good.model), "");
}
