#!/usr/bin/env bash
# Builds and runs the training demo against resc's build in build/ (run
# scripts/build.sh first): installs it into build/prefix, configures this
# folder as an outside project with find_package(resc), builds it and
# trains. Arguments go to train_digits (--epochs, --lr, --seed, --out, ...).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
prefix="$root/build/prefix"
demo="$root/build/train_digits"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# Quiet unless a step fails; then its output says why.
quiet() { "$@" > "$log" 2>&1 || { cat "$log" >&2; exit 1; }; }
quiet cmake --install "$root/build" --prefix "$prefix"
quiet cmake -S "$root/examples/train_digits" -B "$demo" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix"
quiet cmake --build "$demo"
rm -f "$log"
trap - EXIT
# The weights and sample images go to the build folder, not the source tree;
# a later --out wins.
exec "$demo/train_digits" --out "$demo/digits.safetensors" "$@"
