"""Times training steps in PyTorch eager mode as the suite's training peer:
the module written by `resc emit --format torch` in train() mode, weights
from a safetensors file, and per step zero_grad, forward, sum(y * dy)
backward and torch.optim.SGD (momentum 0.9, weight decay 5e-4), the step
`resc bench --train` times. Prints one JSON object.

usage: torch_train_step.py MODULE.py WEIGHTS BATCH THREADS REPEAT WARMUP
"""
import json
import sys
import time

import torch

from torch_bench import example, load


def main(argv):
    module = load(argv[0])
    model = module.load_model(argv[1])
    model.train()
    batch, threads, repeat, warmup = (int(a) for a in argv[2:6])
    torch.set_num_threads(threads)
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(example(module, batch), generator=generator)
    dy = None
    optimiser = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9,
                                weight_decay=5e-4)
    times = []
    for i in range(warmup + repeat):
        start = time.perf_counter()
        optimiser.zero_grad(set_to_none=True)
        y = model(x)
        if dy is None:
            dy = torch.ones_like(y)
        torch.sum(y * dy).backward()
        optimiser.step()
        stop = time.perf_counter()
        if i >= warmup:
            times.append((stop - start) * 1e3)
    times.sort()
    n = len(times)
    median = times[n // 2] if n % 2 else (times[n // 2 - 1] + times[n // 2]) / 2
    print(json.dumps({"median_ms": median, "min_ms": times[0],
                      "max_ms": times[-1], "version": torch.__version__}))


if __name__ == "__main__":
    main(sys.argv[1:])
