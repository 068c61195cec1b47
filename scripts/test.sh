#!/usr/bin/env bash
# Sets everything up and runs every test: installs the missing packages,
# builds build/ and runs the whole test suite, then builds build-asan/ with
# AddressSanitizer and UBSan and runs the suite again there, except the tests
# labelled `slow`. Exits non-zero when any step fails.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

jobs=${RESC_TEST_JOBS:-2}
section() { printf '\n==== %s (at %ds) ====\n' "$*" "$SECONDS"; }

section "1/5 Installing missing Debian packages"
scripts/install-deps.sh

section "2/5 Building (build/)"
scripts/build.sh

section "3/5 Tests (build/)"
ctest --test-dir build --output-on-failure -j"$jobs"

section "4/5 Building with AddressSanitizer and UBSan (build-asan/)"
scripts/build.sh --sanitize

section "5/5 Tests under the sanitizers (build-asan/, without the slow ones)"
# The build stops at the first sanitizer report (-fno-sanitize-recover), so
# any report fails its test; print UBSan's stack with it.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
# Debian's libMLIR is not instrumented, but the LLVM allocator code inlined
# into ours is, and it poisons memory that the library then writes: ASan's
# user poisoning must be off or every MLIR string allocation looks invalid.
export ASAN_OPTIONS=${ASAN_OPTIONS:-allow_user_poisoning=0}
ctest --test-dir build-asan --output-on-failure -j"$jobs" -LE slow

section "All tests passed"
