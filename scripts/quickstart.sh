#!/usr/bin/env bash
# From a fresh Debian 12 machine to a model that runs: installs the missing
# packages, builds resc, checks examples/resnet20.res, runs it compiled in
# process (and with the reference interpreter, to compare) on seeded weights
# and a seeded input, then installs resc into build/prefix and builds and
# runs examples/classify_app, an outside app that links an AOT-compiled
# ResNet-20 and classifies a batch of inputs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

section() { printf '\n==== %s ====\n' "$*"; }

section "Installing missing Debian packages"
scripts/install-deps.sh

section "Building (build/)"
scripts/build.sh

resc=build/compiler/tools/resc

section "resc check examples/resnet20.res"
"$resc" check examples/resnet20.res
echo "ok: examples/resnet20.res checks"

section "resc run examples/resnet20.res --seed 0 (compiled in process)"
# resc prints the output and its own timing; `time` adds the whole process's.
time "$resc" run examples/resnet20.res --seed 0

section "resc run examples/resnet20.res --interpret --seed 0 (reference)"
time "$resc" run examples/resnet20.res --interpret --seed 0

section "examples/classify_app: an app linking an AOT-compiled ResNet-20"
cmake --install build --prefix build/prefix > /dev/null
cmake -S examples/classify_app -B build/classify_app -G Ninja \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$PWD/build/prefix" > /dev/null
cmake --build build/classify_app
build/classify_app/classify 8
