#!/usr/bin/env bash
# Fails when runtime/ or format/ reach into the compiler: an include of
# compiler/, dialect/, frontend/, MLIR, LLVM or Halide.h, or a source path of
# the compiler in their CMakeLists.txt. Usage: check_layering.sh SOURCE_DIR
set -euo pipefail
cd "$1"
status=0
if grep -rnE '#include *[<"](compiler|dialect|frontend|mlir|llvm)/|#include *[<"]Halide\.h' \
    runtime format; then
  echo "check_layering: runtime/ and format/ must not include the compiler" >&2
  status=1
fi
if grep -nE 'compiler/|dialect/|frontend/' runtime/CMakeLists.txt \
    format/CMakeLists.txt; then
  echo "check_layering: runtime/ and format/ must not build compiler sources" >&2
  status=1
fi
[[ $status -eq 0 ]] && echo "check_layering: runtime/ and format/ stand alone"
exit $status
