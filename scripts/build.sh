#!/usr/bin/env bash
# Configures and builds resc with Ninja in Release mode.
#   scripts/build.sh              -> build/
#   scripts/build.sh --sanitize   -> build-asan/ (AddressSanitizer + UBSan)
#   --build-tool PATH: the resc that compiles models and writes test data
#   during the build (RESC_BUILD_TOOL; default: the one being built).
#   --models-from DIR: copy the model libraries that build DIR compiled
#   with the same --build-tool instead of compiling them (RESC_MODELS_FROM).
# Extra arguments after the options go to `cmake --build` (e.g. a target).
# ccache is used when installed (the CMake configuration picks it up).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

build_dir=build
cmake_args=()
build_tool=""
models_from=""
build_args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --sanitize) build_dir=build-asan; cmake_args+=(-DRESC_SANITIZE=ON) ;;
    --build-tool)
      [[ $# -ge 2 ]] || { echo "build.sh: --build-tool needs a path" >&2; exit 2; }
      [[ -x "$2" ]] || { echo "build.sh: --build-tool $2 is not an executable" >&2; exit 2; }
      build_tool=$(realpath "$2"); shift ;;
    --models-from)
      [[ $# -ge 2 ]] || { echo "build.sh: --models-from needs a directory" >&2; exit 2; }
      [[ -d "$2" ]] || { echo "build.sh: --models-from $2 is not a directory" >&2; exit 2; }
      models_from=$(realpath "$2"); shift ;;
    -h|--help)
      echo "usage: scripts/build.sh [--sanitize] [--build-tool RESC] [--models-from DIR] [cmake --build arguments...]"
      exit 0 ;;
    *) build_args+=("$1") ;;
  esac
  shift
done

cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DRESC_BUILD_TOOL="$build_tool" -DRESC_MODELS_FROM="$models_from" \
  "${cmake_args[@]}"
cmake --build "$build_dir" "${build_args[@]}"
