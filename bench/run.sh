#!/usr/bin/env bash
# The benchmark suite in one command (docs/performance.md): builds resc with
# the bench/ targets, installs ONNX Runtime for Node.js from npm when it is
# missing, and runs bench/compare.py, which prints the table.
#   bench/run.sh                      all models, batches and thread counts
#   bench/run.sh --models resnet20 resnet50 --batches 1 --threads 1 2
#   bench/run.sh --compile-scale      resc compile times of deep models
#   bench/run.sh --train-step         training steps against PyTorch eager
#   bench/run.sh --output table.md    also write the table to a file
# PyTorch comes from Debian's python3-torch (set RESC_BENCH_PYTHON to use
# another interpreter); peers that are not installed are reported missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

build=${RESC_BENCH_BUILD:-build}
python=${RESC_BENCH_PYTHON:-}
if [[ -z $python ]]; then
  # Debian's python3-torch lives in the system interpreter, which a
  # python3 earlier in PATH (pyenv, a venv) would hide.
  if [[ -x /usr/bin/python3 ]]; then python=/usr/bin/python3; else python=python3; fi
fi

cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DRESC_BENCH=ON >/dev/null
cmake --build "$build" --target resc bench_aot fma_peak -j "${RESC_BENCH_JOBS:-2}"

node_dir=$build/bench/peers
if command -v npm >/dev/null && [[ ! -d $node_dir/node_modules/onnxruntime-node ]]; then
  mkdir -p "$node_dir"
  # The CPU binaries ship inside the npm package; its install script would
  # only download CUDA libraries, so it is skipped.
  (cd "$node_dir" && ONNXRUNTIME_NODE_INSTALL_CUDA=skip \
     npm install --no-audit --no-fund --ignore-scripts onnxruntime-node >/dev/null) ||
    echo "bench/run.sh: could not install onnxruntime-node; ONNX Runtime is reported missing" >&2
fi

exec "$python" bench/compare.py --build "$build" --python "$python" \
  --node-dir "$node_dir" "$@"
