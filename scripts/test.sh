#!/usr/bin/env bash
# Sets everything up and runs the tests: installs the missing packages,
# builds build/ and runs the test suite but the tests labelled `slow`, then
# builds build-asan/ with AddressSanitizer and UBSan and runs the tests
# labelled `asan` there (the runtime side and the frontend:
# tests/CMakeLists.txt); then runs the concurrency stress test under
# ThreadSanitizer and each libFuzzer target for 60 seconds (build-fuzz/).
# Exits non-zero when any step fails. scripts/nightly.sh runs the rest: the
# slow tests, the whole suite under the sanitizers, longer fuzzing.
# docs/testing.md says what each step costs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

jobs=${RESC_TEST_JOBS:-2}
section() { printf '\n==== %s (at %ds) ====\n' "$*" "$SECONDS"; }

section "1/7 Installing missing Debian packages"
scripts/install-deps.sh

section "2/7 Building (build/)"
scripts/build.sh

section "3/7 Tests (build/, without the slow ones)"
ctest --test-dir build --output-on-failure -j"$jobs" -LE slow

section "4/7 Building with AddressSanitizer and UBSan (build-asan/)"
# Only what the sanitized tests need (target sanitized_tests: no compiler).
# Test data are written by build/'s resc, and the models the AOT tests link
# are the libraries build/'s resc compiled in step 2, copied: the same bytes.
scripts/build.sh --sanitize --build-tool build/compiler/tools/resc \
  --models-from build --target sanitized_tests

section "5/7 Tests under the sanitizers (build-asan/: label asan)"
# The build stops at the first sanitizer report (-fno-sanitize-recover), so
# any report fails its test; print UBSan's stack with it.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
# Debian's libMLIR is not instrumented, but the LLVM allocator code inlined
# into ours is, and it poisons memory that the library then writes: ASan's
# user poisoning must be off or every MLIR string allocation looks invalid.
export ASAN_OPTIONS=${ASAN_OPTIONS:-allow_user_poisoning=0}
ctest --test-dir build-asan --output-on-failure -j"$jobs" -L asan \
  -LE 'slow|compiler'

section "6/7 Concurrency stress test under ThreadSanitizer (build/)"
# Only the test and the runtime are built with -fsanitize=thread, against the
# model library build/ already compiled (docs/security.md says what that
# covers), rather than a whole TSan build of the compiler.
cmake -S . -B build -DRESC_TSAN_STRESS=ON >/dev/null
cmake --build build -j"$jobs" --target stress_tests_tsan
ctest --test-dir build --output-on-failure -L tsan

section "7/7 Fuzzing: each target for 60 s (build-fuzz/)"
# All four at once: each still runs 60 s of wall time, and CI stays within
# its 30 minutes.
RESC_FUZZ_JOBS=${RESC_FUZZ_JOBS:-4} scripts/fuzz.sh "${RESC_FUZZ_SECONDS:-60}"

section "All tests passed"
