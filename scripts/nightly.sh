#!/usr/bin/env bash
# The long checks that scripts/test.sh (the CI) leaves out, for a nightly
# run or before a release: installs and builds as test.sh does, then
#   1. the tests labelled `slow` (build/): the ImageNet-sized examples
#      through the JIT and AOT, PyTorch comparisons, the training demo;
#   2. the whole suite but the slow tests under AddressSanitizer and UBSan
#      (build-asan/, every target: the compiler, resc's command line and the
#      lit tests too, where test.sh sanitizes the runtime side and the
#      frontend only);
#   3. each libFuzzer target for RESC_NIGHTLY_FUZZ_SECONDS (default 600).
# Exits non-zero when any step fails. docs/testing.md says what each costs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

jobs=${RESC_TEST_JOBS:-2}
section() { printf '\n==== %s (at %ds) ====\n' "$*" "$SECONDS"; }

section "1/5 Installing missing Debian packages"
scripts/install-deps.sh

section "2/5 Building (build/)"
scripts/build.sh

section "3/5 Slow tests (build/)"
ctest --test-dir build --output-on-failure -j"$jobs" -L slow

section "4/5 The whole suite under AddressSanitizer and UBSan (build-asan/)"
scripts/build.sh --sanitize --build-tool build/compiler/tools/resc \
  --models-from build
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
# See scripts/test.sh: MLIR's inlined allocator code and ASan's user
# poisoning do not mix.
export ASAN_OPTIONS=${ASAN_OPTIONS:-allow_user_poisoning=0}
ctest --test-dir build-asan --output-on-failure -j"$jobs" -LE slow

section "5/5 Fuzzing: each target for ${RESC_NIGHTLY_FUZZ_SECONDS:-600} s"
RESC_FUZZ_JOBS=${RESC_FUZZ_JOBS:-4} \
  scripts/fuzz.sh "${RESC_NIGHTLY_FUZZ_SECONDS:-600}"

section "All nightly checks passed"
