#!/usr/bin/env bash
# Installs the Debian 12 packages resc needs, and only those that are missing.
# Idempotent: when everything is installed it changes nothing and needs no
# network or root. Runs `apt-get update` only when something is missing, uses
# sudo when not root, and never asks a question.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache python3
  llvm-19-dev llvm-19-tools libmlir-19-dev mlir-19-tools
  libhalide14-0-dev
  libcli11-dev libgtest-dev googletest
  # libFuzzer for scripts/fuzz.sh (clang's runtime with -fsanitize=fuzzer).
  clang-14 libclang-rt-14-dev
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  if [[ "$status" != "installed" ]]; then
    missing+=("$pkg")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#PACKAGES[@]} packages are installed"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "install-deps: not root and no sudo; install as root: apt-get install ${missing[*]}" >&2
    exit 1
  fi
  SUDO=(sudo -n)
  # Fall back to an interactive sudo (password prompt) when one is needed
  # and a terminal is there to ask on.
  if ! sudo -n true 2>/dev/null && [[ -t 0 ]]; then
    SUDO=(sudo)
  fi
fi

export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -q --no-install-recommends "${missing[@]}"
