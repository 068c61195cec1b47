#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz in build-fuzz/ (clang-14 with
# ASan and UBSan, RESC_FUZZ=ON) and runs each for SECONDS (default 60),
# RESC_FUZZ_JOBS (default 2) at a time. Prints one line per target with its
# executions and crashes; exits non-zero if any target crashed. A crash's
# input is kept in build-fuzz/crashes/TARGET/ (replay it with
# `build-fuzz/tests/fuzz/TARGET FILE`); turn it into a regression test.
#   scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds=${1:-60}
[[ $# -gt 0 ]] && shift
targets=("$@")
[[ ${#targets[@]} -eq 0 ]] &&
  targets=(FuzzResFrontend FuzzResIR FuzzSafetensors FuzzNpy)
jobs=${RESC_FUZZ_JOBS:-2}
build=build-fuzz

CC=${CC_FUZZ:-clang-14} CXX=${CXX_FUZZ:-clang++-14} \
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DRESC_FUZZ=ON \
  >/dev/null
cmake --build "$build" -j"${RESC_TEST_JOBS:-2}" --target "${targets[@]}"

# Seeds (read-only) per target; the growing corpus lives in build-fuzz.
seeds() {
  case "$1" in
    FuzzResFrontend) echo examples tests/bad ;;
    FuzzResIR) echo tests/fuzz/seeds/mlir ;;
    FuzzSafetensors) echo tests/fuzz/seeds/safetensors tests/hostile ;;
    FuzzNpy) echo tests/fuzz/seeds/npy tests/hostile ;;
  esac
}
options() {
  case "$1" in
    FuzzResFrontend) echo -dict=tests/fuzz/res.dict -max_len=16384 ;;
    FuzzResIR) echo -max_len=16384 ;;
    *) echo -max_len=4096 ;;
  esac
}

# Debian's MLIR is not instrumented but LLVM's inlined allocator code in ours
# is; see scripts/test.sh.
export ASAN_OPTIONS=${ASAN_OPTIONS:-allow_user_poisoning=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

run_one() {
  local target=$1 corpus=$build/corpus/$1 crashes=$build/crashes/$1
  mkdir -p "$corpus" "$crashes"
  local before
  before=$(find "$crashes" -type f | wc -l)
  # shellcheck disable=SC2046
  "$build/tests/fuzz/$target" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$crashes/" \
    $(options "$target") "$corpus" $(seeds "$target") \
    >"$build/$target.log" 2>&1 || true
  local runs after
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' \
    "$build/$target.log" | tail -1)
  after=$(find "$crashes" -type f | wc -l)
  echo "fuzz $target: ${runs:-0} executions in ${seconds} s," \
    "$((after - before)) crashes"
  if ((after > before)) || [[ -z $runs ]]; then
    tail -40 "$build/$target.log"
    echo failed >"$build/$target.status"
  else
    echo ok >"$build/$target.status"
  fi
}

for target in "${targets[@]}"; do
  rm -f "$build/$target.status"
  while (($(jobs -rp | wc -l) >= jobs)); do sleep 1; done
  run_one "$target" &
done
wait
failed=0
for target in "${targets[@]}"; do
  [[ $(cat "$build/$target.status" 2>/dev/null) == ok ]] || failed=1
done
exit $failed
