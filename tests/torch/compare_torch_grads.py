"""Training against PyTorch: for each example model, `resc run --train`
(gradients of sum(y * dy) through the JIT-compiled training function) against
autograd on the module `resc emit --format torch` writes, in train mode
(batch norm with batch statistics), on the same seeded weights, input and dy,
in double precision (and in f32, to size the rounding a model amplifies).
Compares the outputs, the input's gradient and every parameter's gradient.
Exits 77 (CTest's skip code) when torch or numpy is missing.

ReLU makes the comparison ill-posed in one place: where a ReLU's input is
within float32 rounding of zero (every ReLU model here has tens of such
elements at batch 4), resc, PyTorch in f32 and the float64 reference may each
take a different side of the kink, and one element on the other side moves
every gradient upstream of it by up to a few percent. Which elements flip
depends only on summation order, so a strict check of a ReLU model passes or
fails by luck whenever a kernel's loop order changes. Such models are
therefore checked twice: as written, within KINK_RTOL (which still catches a
wrong mask, sign or missing term: those are off by O(1)), and strictly with
every `relu` replaced by `gelu`, which has no kink but goes through the same
convolutions, batch norms, sums and pooling.

usage: compare_torch_grads.py RESC WORKDIR MODEL.res...
"""
import json
import os
import re
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
# A ReLU input this close to zero (relative to the largest input of that
# ReLU) can land on either side of the kink in float32.
KINK = 1e-5
KINK_RTOL = 0.25


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


class ReluRecorder:
    """Stands in for torch.nn.functional in a generated module and counts
    the ReLU inputs that are within KINK of zero."""

    def __init__(self, functional):
        self.functional = functional
        self.near_kink = 0

    def __getattr__(self, name):
        return getattr(self.functional, name)

    def relu(self, x, *args, **kwargs):
        size = x.detach().abs()
        self.near_kink += int((size <= KINK * size.max()).sum())
        return self.functional.relu(x, *args, **kwargs)


def smooth_variant(source, work):
    """The model with every relu replaced by gelu, or None if it has none."""
    with open(source) as f:
        text = f.read()
    smooth, count = re.subn(r"\brelu\b", "gelu", text)
    if not count:
        return None
    stem = os.path.splitext(os.path.basename(source))[0]
    path = os.path.join(work, f"{stem}_gelu.res")
    with open(path, "w") as f:
        f.write(smooth)
    return path


def compare(binary, work, source, near_kink_tolerated=True):
    """Returns (ok, number of ReLU inputs near the kink)."""
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
    def autograd(dtype, dy_arrays=None, relu=None):
        if relu:
            module.F = relu
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
    recorder = ReluRecorder(module.F)
    truth, _ = autograd(torch.float64, dy_arrays, recorder)
    rtol = RTOL
    if recorder.near_kink and near_kink_tolerated:
        rtol = KINK_RTOL
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
        if not error <= max(rtol, 2 * error_torch):
            print(f"FAIL {stem}.{key} {list(want.shape)}: resc {error:.2e} "
                  f"from float64 autograd, PyTorch f32 {error_torch:.2e}")
            ok = False
    params = len(truth) - len(module.OUTPUTS) - len(module.INPUTS)
    kinks = (f"; {recorder.near_kink} ReLU inputs within {KINK:g} of the "
             f"kink, tolerance {rtol:g}" if recorder.near_kink else "")
    print(f"{'ok' if ok else 'FAIL'} {stem}: outputs, input and {params} "
          f"parameter gradients; worst relative error from float64 autograd "
          f"{worst:.2e} ({worst_key}; PyTorch f32: {worst_torch:.2e}){kinks}")
    return ok, recorder.near_kink


def main():
    binary, work, *models = sys.argv[1:]
    os.makedirs(work, exist_ok=True)
    torch.manual_seed(0)
    failures = []
    for model in models:
        ok, near_kink = compare(binary, work, model)
        smooth = smooth_variant(model, work) if near_kink else None
        if smooth:
            smooth_ok, _ = compare(binary, work, smooth, False)
            ok = ok and smooth_ok
        if not ok:
            failures.append(model)
    if failures:
        print("mismatch in: " + ", ".join(failures))
        sys.exit(1)


if __name__ == "__main__":
    main()
