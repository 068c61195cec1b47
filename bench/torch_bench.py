"""Times a model in PyTorch as the suite's peer: the module written by
`resc emit --format torch`, weights from a safetensors file, traced and
passed through torch.jit.optimize_for_inference (oneDNN), intra-op threads
set. Writes the output as raw float32 and prints one JSON object;
peak_rss_mib is this process's peak resident memory.

With --onnx it instead exports the model to that ONNX file (opset 13, the
batch dimension dynamic) for the ONNX Runtime peer.

usage: torch_bench.py MODULE.py WEIGHTS INPUT.bin BATCH THREADS REPEAT WARMUP
                      OUTPUT.bin
       torch_bench.py MODULE.py WEIGHTS --onnx OUT.onnx
"""
import importlib.util
import json
import resource
import sys
import time

import numpy as np
import torch


def load(path):
    spec = importlib.util.spec_from_file_location("resc_model", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def example(module, batch):
    (_, shape), = module.INPUTS
    return [batch if d is None else d for d in shape]


def main(argv):
    module = load(argv[0])
    model = module.load_model(argv[1])
    if argv[2] == "--onnx":
        x = torch.zeros(example(module, 1))
        (input_name, _), = module.INPUTS
        torch.onnx.export(model, (x,), argv[3], opset_version=13,
                          input_names=[input_name],
                          output_names=list(module.OUTPUTS),
                          dynamic_axes={input_name: {0: "batch"}})
        return
    batch, threads, repeat, warmup = (int(a) for a in argv[3:7])
    torch.set_num_threads(threads)
    x = torch.from_numpy(np.fromfile(argv[2], dtype=np.float32).reshape(
        example(module, batch)))
    with torch.no_grad():
        traced = torch.jit.trace(model, (x,))
        optimised = torch.jit.optimize_for_inference(traced.eval())
        times = []
        for i in range(warmup + repeat):
            start = time.perf_counter()
            y = optimised(x)
            stop = time.perf_counter()
            if i >= warmup:
                times.append((stop - start) * 1e3)
    y.numpy().astype(np.float32).tofile(argv[7])
    times.sort()
    n = len(times)
    median = times[n // 2] if n % 2 else (times[n // 2 - 1] + times[n // 2]) / 2
    print(json.dumps({
        "median_ms": median, "min_ms": times[0], "max_ms": times[-1],
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "version": torch.__version__}))


if __name__ == "__main__":
    main(sys.argv[1:])
