#!/usr/bin/env bash
# From a fresh Debian 12 machine to a model that runs: installs the missing
# packages, builds resc, checks examples/resnet20.res and runs it with the
# reference interpreter on seeded weights and a seeded input, printing the
# output and the time it took.
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

section "resc run examples/resnet20.res --interpret --seed 0"
# resc prints the output and its own timing; `time` adds the whole process's.
time "$resc" run examples/resnet20.res --interpret --seed 0
