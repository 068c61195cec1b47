"""Training against PyTorch: for each example model, `resc run --train`
(gradients of sum(y * dy) through the JIT-compiled training function) against
autograd on the module `resc emit --format torch` writes, in train mode
(batch norm with batch statistics), on the same seeded weights, input and dy,
in double precision (and in f32, to size the rounding a model amplifies).
Compares the outputs, the input's gradient and every parameter's gradient.
Exits 77 (CTest's skip code) when torch or numpy is missing.

usage: compare_torch_grads.py RESC WORKDIR MODEL.res...
"""
import json
import os
import struct
import sys

from compare_torch import load_module, resc

try:
    import numpy as np
    import torch
except ImportError as e:
    print(f"SKIP: PyTorch is not installed for {sys.executable} ({e}); "
          "install python3-torch to run this test")
    sys.exit(77)

# Gradients pass through every layer twice and through batch statistics:
# looser than the forward comparison's 1e-4.
RTOL = 1e-3
BATCH = 4


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + size])
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        raw = data[8 + size + begin:8 + size + end]
        tensors[name] = np.frombuffer(raw, np.float32).reshape(entry["shape"])
    return tensors


def relative(got, want, floor=1e-30):
    scale = max(float(np.abs(want).max()), floor)
    return float(np.abs(got - want).max()) / scale


def compare(binary, work, source):
    stem = os.path.splitext(os.path.basename(source))[0]
    weights = os.path.join(work, f"{stem}.safetensors")
    generated = os.path.join(work, f"{stem}_torch.py")
    grads_path = os.path.join(work, f"{stem}_grads.safetensors")
    resc(binary, "init-weights", source, "-o", weights, "--seed", "5")
    resc(binary, "emit", source, "--format", "torch", "-o", generated)
    module = load_module(generated, f"{stem}_torch")

    rng = np.random.default_rng(13)
    inputs, args = {}, []
    for index, (name, shape) in enumerate(module.INPUTS):
        dims = [BATCH if d is None else d for d in shape]
        x = rng.standard_normal(dims).astype(np.float32)
        path = os.path.join(work, f"{stem}_in{index}.npy")
        np.save(path, x)
        inputs[name] = x
        args += ["--input", f"{name}={path}"]
    outputs = []
    for index, name in enumerate(module.OUTPUTS):
        out = os.path.join(work, f"{stem}_out{index}.npy")
        outputs.append(out)
        args += ["--output", f"{name}={out}"]
    # dy needs the output's shape: run the forward pass in torch first.
    def autograd(dtype, dy_arrays=None):
        model = module.load_model(weights).to(dtype)
        model.train()
        xs = [torch.from_numpy(inputs[name]).to(dtype).requires_grad_()
              for name, _ in module.INPUTS]
        ys = model(*xs)
        if not isinstance(ys, tuple):
            ys = (ys,)
        if dy_arrays is None:
            dy_arrays = [rng.standard_normal(tuple(y.shape)).astype(np.float32)
                         for y in ys]
        sum(torch.sum(y * torch.from_numpy(dy).to(dtype))
            for y, dy in zip(ys, dy_arrays)).backward()
        values = {f"y:{name}": y.detach().double().numpy()
                  for name, y in zip(module.OUTPUTS, ys)}
        for (name, _), x in zip(module.INPUTS, xs):
            values[f"input:{name}"] = x.grad.double().numpy()
        for name, p in model.named_parameters():
            if p.grad is not None:
                values[name] = p.grad.double().numpy()
        return values, dy_arrays

    torch32, dy_arrays = autograd(torch.float32)
    truth, _ = autograd(torch.float64, dy_arrays)
    for index, (name, dy) in enumerate(zip(module.OUTPUTS, dy_arrays)):
        path = os.path.join(work, f"{stem}_dy{index}.npy")
        np.save(path, dy)
        args += ["--grad-output", f"{name}={path}"]
    resc(binary, "run", source, "--train", "--weights", weights,
         "--grads-out", grads_path, *args)
    grads = read_safetensors(grads_path)
    ours = {f"y:{name}": np.load(path).astype(np.float64)
            for name, path in zip(module.OUTPUTS, outputs)}
    for name, _ in module.INPUTS:
        ours[f"input:{name}"] = grads.pop(name).astype(np.float64)
    ours.update({k: v.astype(np.float64) for k, v in grads.items()})

    ok = True
    extra = sorted(set(ours) - set(truth))
    missing = sorted(set(truth) - set(ours))
    if extra or missing:
        print(f"FAIL {stem}: gradients only resc has: {extra}; only torch "
              f"has: {missing}")
        ok = False
    # The reference is autograd in double precision. Deep models amplify
    # rounding (preact_resnet164's first stage is off by 1e-2 in PyTorch's
    # own f32), so resc must be within RTOL of it, or at most twice as far
    # as PyTorch in f32 is. A gradient whose elements are all tiny beside
    # the model's others (one batch norm's weight in expressions.res peaks
    # at 3e-5) is measured relative to a thousandth of the largest.
    floor = 1e-3 * max(float(np.abs(v).max()) for v in truth.values())
    worst = worst_torch = 0.0
    worst_key = ""
    for key in sorted(set(ours) & set(truth)):
        want = truth[key]
        if ours[key].shape != want.shape:
            print(f"FAIL {stem}.{key}: shape {ours[key].shape} vs torch "
                  f"{want.shape}")
            ok = False
            continue
        error = relative(ours[key], want, floor)
        error_torch = relative(torch32[key], want, floor)
        if error > worst:
            worst, worst_key = error, key
        worst_torch = max(worst_torch, error_torch)
        if not error <= max(RTOL, 2 * error_torch):
            print(f"FAIL {stem}.{key} {list(want.shape)}: resc {error:.2e} "
                  f"from float64 autograd, PyTorch f32 {error_torch:.2e}")
            ok = False
    params = len(truth) - len(module.OUTPUTS) - len(module.INPUTS)
    print(f"{'ok' if ok else 'FAIL'} {stem}: outputs, input and {params} "
          f"parameter gradients; worst relative error from float64 autograd "
          f"{worst:.2e} ({worst_key}; PyTorch f32: {worst_torch:.2e})")
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
