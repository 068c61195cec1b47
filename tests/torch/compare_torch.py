"""Runs example models through `resc emit --format torch` and PyTorch and
compares them with `resc run --interpret` on the same seeded weights and the
same input. Exits 77 (CTest's skip code) when torch or numpy is missing.

usage: compare_torch.py RESC WORKDIR MODEL.res...
"""
import importlib.util
import os
import subprocess
import sys

try:
    import numpy as np
    import torch
except ImportError as e:
    print(f"SKIP: PyTorch is not installed for {sys.executable} ({e}); "
          "install python3-torch to run this test")
    sys.exit(77)

RTOL = 1e-4
BATCH = 2


def resc(binary, *args):
    result = subprocess.run([binary, *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"resc {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def load_module(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def compare(binary, work, source):
    stem = os.path.splitext(os.path.basename(source))[0]
    weights = os.path.join(work, f"{stem}.safetensors")
    generated = os.path.join(work, f"{stem}_torch.py")
    resc(binary, "init-weights", source, "-o", weights, "--seed", "5")
    resc(binary, "emit", source, "--format", "torch", "-o", generated)
    module = load_module(generated, f"{stem}_torch")

    # Non-trivial inputs; the seeded BatchNorm statistics are 0/1, so the
    # weights alone would not exercise the running-statistics arguments.
    rng = np.random.default_rng(11)
    inputs, args = [], []
    for index, (name, shape) in enumerate(module.INPUTS):
        dims = [BATCH if d is None else d for d in shape]
        x = rng.standard_normal(dims).astype(np.float32)
        path = os.path.join(work, f"{stem}_in{index}.npy")
        np.save(path, x)
        inputs.append(torch.from_numpy(x))
        args += ["--input", f"{name}={path}"]
    outputs = []
    for index, name in enumerate(module.OUTPUTS):
        path = os.path.join(work, f"{stem}_out{index}.npy")
        outputs.append(path)
        args += ["--output", f"{name}={path}"]
    resc(binary, "run", source, "--interpret", "--weights", weights, *args)

    model = module.load_model(weights)
    with torch.no_grad():
        got = model(*inputs)
    if not isinstance(got, tuple):
        got = (got,)
    ok = True
    for name, path, value in zip(module.OUTPUTS, outputs, got):
        want = np.load(path)
        value = value.numpy()
        if value.shape != want.shape:
            print(f"FAIL {stem}.{name}: shape {value.shape} vs resc {want.shape}")
            ok = False
            continue
        scale = max(float(np.abs(want).max()), 1e-30)
        error = float(np.abs(value - want).max()) / scale
        status = "ok" if error <= RTOL else "FAIL"
        print(f"{status} {stem}.{name} {list(want.shape)}: "
              f"max |torch - resc| / max |resc| = {error:.2e}")
        ok = ok and error <= RTOL
    return ok


def main():
    binary, work, *models = sys.argv[1:]
    os.makedirs(work, exist_ok=True)
    torch.manual_seed(0)
    failures = [m for m in models if not compare(binary, work, m)]
    if failures:
        print("mismatch in: " + ", ".join(failures))
        sys.exit(1)


if __name__ == "__main__":
    main()
