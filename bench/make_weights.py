"""Writes the suite's weights for a model: resc's seeded weights with
non-trivial BatchNorm parameters and running statistics, so the runtimes'
BatchNorm handling (folded into the convolutions by resc) is actually
compared. Plain Python, so the build needs no numpy.

usage: make_weights.py RESC MODEL.res OUT.safetensors
"""
import array
import json
import random
import struct
import subprocess
import sys


def main(resc, model, out):
    seeded = out + ".seeded"
    subprocess.run([resc, "init-weights", model, "-o", seeded, "--seed", "1"],
                   check=True)
    data = open(seeded, "rb").read()
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + size])
    rng = random.Random(2)
    tensors = []
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32":
            raise SystemExit(f"make_weights: {name} is {info['dtype']}, not F32")
        begin, end = info["data_offsets"]
        values = array.array("f", data[8 + size + begin:8 + size + end])
        if sys.byteorder != "little":
            values.byteswap()
        # 1-D tensors outside the ResNets' classifier: batch norms (resc's
        # seeds make them 1/0/0/1), and the other families' conv, dense and
        # layer-norm biases (seeded 0); weights of norms keep their seeds.
        if len(info["shape"]) == 1 and not name.startswith("fc"):
            if name.endswith("running_var"):
                values = array.array("f", (rng.uniform(0.5, 1.5) for _ in values))
            elif name.endswith(("running_mean", "bias")):
                values = array.array("f", (rng.uniform(-0.1, 0.1) for _ in values))
            elif name.endswith("weight"):
                values = array.array("f", (rng.uniform(0.5, 1.0) for _ in values))
        tensors.append((name, info["shape"], values))
    header, offset = {}, 0
    for name, shape, values in tensors:
        nbytes = 4 * len(values)
        header[name] = {"dtype": "F32", "shape": shape,
                        "data_offsets": [offset, offset + nbytes]}
        offset += nbytes
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(out, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        for _, _, values in tensors:
            if sys.byteorder != "little":
                values.byteswap()
            f.write(values.tobytes())


if __name__ == "__main__":
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    main(*sys.argv[1:])
