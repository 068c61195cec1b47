#!/usr/bin/env bash
# Configures and builds resc with Ninja in Release mode.
#   scripts/build.sh              -> build/
#   scripts/build.sh --sanitize   -> build-asan/ (AddressSanitizer + UBSan)
# Extra arguments after the options go to `cmake --build` (e.g. a target).
# ccache is used when installed (the CMake configuration picks it up).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

build_dir=build
cmake_args=()
build_args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --sanitize) build_dir=build-asan; cmake_args+=(-DRESC_SANITIZE=ON) ;;
    -h|--help)
      echo "usage: scripts/build.sh [--sanitize] [cmake --build arguments...]"
      exit 0 ;;
    *) build_args+=("$1") ;;
  esac
  shift
done

cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release "${cmake_args[@]}"
cmake --build "$build_dir" "${build_args[@]}"
