"""Runs torchvision's models and resc's examples of them on the same weights
and input: torchvision's random initialisation, with batch-norm weights and
running statistics, layer-norm weights, ConvNeXt's layer scales and a Vision
Transformer's class token and head drawn away from their defaults so that
every parameter matters, saved as a state_dict
in safetensors (num_batches_tracked included, as a checkpoint has it) and
loaded with `resc run --weights`. The outputs
must agree within 1e-4 relative to the largest logit. resc's AOT libraries
give the JIT's outputs bit for bit (the aot.example tests), so the JIT
stands for both. Exits 77 (CTest's skip code) when torch, torchvision or
numpy is missing.

usage: compare_torchvision.py RESC WORKDIR EXAMPLES_DIR MODEL...
"""
import json
import os
import struct
import subprocess
import sys

try:
    import numpy as np
    import torch
    import torchvision
except ImportError as e:
    print(f"SKIP: PyTorch or torchvision is not installed for {sys.executable} "
          f"({e}); install python3-torch and python3-torchvision to run this "
          "test")
    sys.exit(77)

RTOL = 1e-4
BATCH = 2


def save_safetensors(state, path):
    """The safetensors layout, written without the safetensors package."""
    header, blobs, offset = {}, [], 0
    for name, tensor in state.items():
        t = tensor.detach().contiguous()
        dtype = {torch.float32: "F32", torch.int64: "I64"}[t.dtype]
        data = t.numpy().tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def randomise_norms(model, gen):
    """Batch and layer norms away from their 1/0 defaults, and ConvNeXt's
    layer scales away from 1e-6, at which its branches would not show."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.copy_(torch.rand(m.weight.shape, generator=gen) + 0.5)
                m.bias.copy_(torch.rand(m.bias.shape, generator=gen) - 0.5)
                m.running_mean.copy_(
                    torch.rand(m.running_mean.shape, generator=gen) - 0.5)
                m.running_var.copy_(
                    torch.rand(m.running_var.shape, generator=gen) + 0.5)
            if isinstance(m, torch.nn.LayerNorm):
                m.weight.copy_(torch.rand(m.weight.shape, generator=gen) + 0.5)
                m.bias.copy_(torch.rand(m.bias.shape, generator=gen) - 0.5)
        for name, p in model.named_parameters():
            if name.endswith("layer_scale"):
                p.copy_(torch.rand(p.shape, generator=gen) * 0.5 + 0.25)
            # A Vision Transformer's class token and head start at zero,
            # which would hide them: the output would not depend on them.
            if name == "class_token" or name.startswith("heads."):
                p.copy_(torch.randn(p.shape, generator=gen) * 0.02)


def compare(binary, work, examples, name):
    gen = torch.Generator().manual_seed(3)
    torch.manual_seed(3)
    model = getattr(torchvision.models, name)(weights=None)
    randomise_norms(model, gen)
    model.eval()
    x = torch.randn(BATCH, 3, 224, 224, generator=gen)
    with torch.no_grad():
        want = model(x).numpy()

    weights = os.path.join(work, f"{name}.safetensors")
    save_safetensors(model.state_dict(), weights)
    x_path = os.path.join(work, f"{name}_x.npy")
    y_path = os.path.join(work, f"{name}_y.npy")
    np.save(x_path, x.numpy())
    source = os.path.join(examples, f"{name}.res")
    result = subprocess.run([binary, "run", source, "--weights", weights,
                             "--input", x_path, "--output", y_path],
                            capture_output=True, text=True)
    if result.returncode != 0:
        print(f"{name}: resc run failed:\n{result.stderr}")
        return False
    got = np.load(y_path)
    scale = float(np.abs(want).max())
    error = float(np.abs(got - want).max()) / max(scale, 1e-30)
    ok = got.shape == want.shape and error <= RTOL
    print(f"{name}: relative error {error:.3g} {'ok' if ok else 'FAILED'}")
    return ok


def main():
    if len(sys.argv) < 5:
        print(__doc__)
        return 2
    binary, work, examples = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    failures = [m for m in sys.argv[4:] if not compare(binary, work, examples, m)]
    if failures:
        print("failed:", " ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
