"""The benchmark suite's driver (run it through bench/run.sh): times resc's AOT
libraries, ONNX Runtime and PyTorch on the same weights and inputs, each
configuration in its own processes, checks that the outputs agree and prints
a Markdown table. With --compile-scale it instead times `resc compile` on
deep models; with --train-step, training steps (forward, backward, SGD) of
resc against PyTorch eager.
"""
import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RTOL = 1e-4
CONFIGS = [("resnet20", [1, 64]), ("resnet18", [1, 8]), ("resnet50", [1, 8]),
           ("mobilenet_v2", [1, 8]), ("efficientnet_b0", [1, 8]),
           ("convnext_tiny", [1, 8]), ("vit_b_16", [1, 8])]
# Peers left out of a model's rows, with the reason the table gives. Debian's
# PyTorch 1.13 took 16-20 s for one ViT-B/16 pass on one thread (an Intel
# Xeon and an AMD EPYC; torchvision's module, eager and traced alike), 60-80
# times resc and ONNX Runtime: 23 passes per row would take the suite's
# whole hour and measure nothing useful.
SKIPPED_PEERS = {"vit_b_16": {"PyTorch": "skipped: about 20 s a pass"}}
# glibc keeps freed memory instead of returning it and faulting it in again
# on every forward pass; PyTorch's eager allocator is sensitive to that.
TORCH_ENV = {"MALLOC_MMAP_THRESHOLD_": "33554432",
             "MALLOC_TRIM_THRESHOLD_": "4294967296"}


def run_json(command, env=None):
    """Runs a measuring process; its last stdout line is a JSON object."""
    result = subprocess.run(command, capture_output=True, text=True,
                            env={**os.environ, **(env or {})})
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def model_file(model):
    return os.path.join(ROOT, "examples", f"{model}.res")


def macs_per_sample(args, model):
    out = subprocess.run([args.resc, "info", model_file(model)], check=True,
                         capture_output=True, text=True).stdout
    for line in out.splitlines():
        if line.startswith("multiply-adds"):
            # "multiply-adds  0.041 G per sample (40,813,184, convolutions ..."
            return int(line.split("(")[1].split(", ")[0].replace(",", ""))
    raise RuntimeError(f"no multiply-adds in resc info {model}")


def input_shape(module_path, batch):
    # INPUTS is a literal list in the generated module: read it without torch.
    text = open(module_path).read()
    start = text.index("INPUTS = [")
    end = text.index("]\n", text.index("(", start)) + 1
    namespace = {}
    exec(text[start:end] + "\n", {"None": None}, namespace)
    (_, shape), = namespace["INPUTS"]
    return [batch if d is None else d for d in shape]


def have_torch(python):
    return subprocess.run([python, "-c", "import torch"],
                          capture_output=True).returncode == 0


def have_ort(node_dir):
    return (shutil.which("node") is not None and
            os.path.isdir(os.path.join(node_dir, "node_modules", "onnxruntime-node")))


def rel_error(got, want):
    return float(np.abs(got - want).max()) / max(float(np.abs(want).max()), 1e-30)


def fma_peaks(args):
    """The best of 5 measurements per thread count: on a shared machine other
    work can only lower a measurement, never raise it above the peak."""
    peaks = {}
    for threads in args.threads:
        peaks[threads] = run_json([os.path.join(args.build, "bench", "fma_peak"),
                                   str(threads), "5"])
    return peaks


def benchmark(args):
    work = os.path.join(args.build, "bench", "work")
    os.makedirs(work, exist_ok=True)
    torch_ok = have_torch(args.python)
    ort_ok = have_ort(args.node_dir) and torch_ok
    notes = []
    if not torch_ok:
        notes.append(f"PyTorch missing ({args.python} cannot import torch): "
                     "no PyTorch rows, and no ONNX export for ONNX Runtime")
    elif not ort_ok:
        notes.append("ONNX Runtime missing (node or onnxruntime-node not found)")
    weights_dir = subprocess.run(
        [os.path.join(args.build, "bench", "bench_aot"), "--weights-dir"],
        check=True, capture_output=True, text=True).stdout.strip()
    peaks = fma_peaks(args)
    notes.append(f"load average at the start: {os.getloadavg()[0]:.1f} "
                 f"on {os.cpu_count()} cores")
    rows = []
    for model, batches in CONFIGS:
        if args.models and model not in args.models:
            continue
        # The weights bench_aot's library was built with (make_weights.py).
        weights = os.path.join(weights_dir, f"{model}.safetensors")
        module = os.path.join(work, f"{model}_torch.py")
        subprocess.run([args.resc, "emit", model_file(model), "--format",
                        "torch", "-o", module], check=True)
        onnx = os.path.join(work, f"{model}.onnx")
        if ort_ok:
            subprocess.run([args.python, os.path.join(HERE, "torch_bench.py"),
                            module, weights, "--onnx", onnx], check=True,
                           capture_output=True)
        gflop_per_sample = 2 * macs_per_sample(args, model) / 1e9
        for batch in batches:
            if args.batches and batch not in args.batches:
                continue
            shape = input_shape(module, batch)
            x = np.random.default_rng(3).standard_normal(shape).astype(np.float32)
            xin = os.path.join(work, f"{model}_b{batch}.bin")
            x.tofile(xin)
            for threads in args.threads:
                common = [str(batch), str(threads), str(args.repeat),
                          str(args.warmup)]
                results = {}
                out = {}
                name = "resc AOT"
                out[name] = os.path.join(work, "out_resc.bin")
                results[name] = run_json(
                    [os.path.join(args.build, "bench", "bench_aot"), model,
                     xin, *common, out[name]])
                if ort_ok:
                    name = "ONNX Runtime"
                    out[name] = os.path.join(work, "out_ort.bin")
                    results[name] = run_json(
                        ["node", os.path.join(HERE, "ort_bench.js"), onnx, xin,
                         ",".join(map(str, shape)), str(threads),
                         str(args.repeat), str(args.warmup), out[name]],
                        env={"NODE_PATH": os.path.join(args.node_dir,
                                                       "node_modules")})
                skipped = SKIPPED_PEERS.get(model, {})
                if torch_ok and "PyTorch" not in skipped:
                    name = "PyTorch"
                    out[name] = os.path.join(work, "out_torch.bin")
                    results[name] = run_json(
                        [args.python, os.path.join(HERE, "torch_bench.py"),
                         module, weights, xin, *common, out[name]],
                        env=TORCH_ENV)
                want = np.fromfile(out["resc AOT"], dtype=np.float32)
                gflop = gflop_per_sample * batch
                peak = peaks[threads]["max_gflops"]
                for name, r in results.items():
                    got = np.fromfile(out[name], dtype=np.float32)
                    err = 0.0 if name == "resc AOT" else (
                        rel_error(got, want) if got.shape == want.shape else float("inf"))
                    rows.append({
                        "model": model, "batch": batch, "threads": threads,
                        "runtime": name, "version": r.get("version", ""),
                        "median_ms": r["median_ms"], "min_ms": r["min_ms"],
                        "max_ms": r["max_ms"], "gflops": gflop / (r["median_ms"] / 1e3),
                        "peak_pct": 100 * gflop / (r["median_ms"] / 1e3) / peak,
                        "ratio": results["resc AOT"]["median_ms"] / r["median_ms"],
                        "rss": r["peak_rss_mib"], "error": err})
                    print(f"# {model} b{batch} t{threads} {name}: "
                          f"{r['median_ms']:.2f} ms", file=sys.stderr, flush=True)
                for name in ("ONNX Runtime", "PyTorch"):
                    if name not in results:
                        rows.append({"model": model, "batch": batch,
                                     "threads": threads, "runtime": name,
                                     "missing": skipped.get(name, "missing")})
    if ((not args.models or "resnet50" in args.models)
            and (not args.batches or 8 in args.batches) and 1 in peaks):
        notes.append(conv3x3_share(args, peaks[1]))
    notes.append(f"load average at the end: {os.getloadavg()[0]:.1f}")
    return rows, peaks, notes


# A 3x3 convolution's kernel key: "v1:conv:N[CxHxW]P[...]...:k3,3:...".
CONV3X3 = re.compile(r"^v[0-9]+:conv:.*:k3,3:")


def conv3x3_share(args, peak):
    """The 3x3 convolutions of resnet50 at batch 8 on one thread, summed over
    the layers of `resc bench --profile` (the JIT compiles the same kernels
    as the AOT library): their GFLOP/s against the FMA peak. GFLOP/s count
    the direct convolution's multiply-adds, also for the layers computed by
    Winograd's F(2x2, 3x3), which does 2.25 times fewer: those can pass the
    FMA peak."""
    r = run_json([args.resc, "bench", model_file("resnet50"), "--batch", "8",
                  "--threads", "1", "--repeat", str(args.repeat), "--warmup",
                  str(args.warmup), "--profile", "--json"])
    layers = [l for l in r["layers"] if CONV3X3.search(l["kernel"])]
    ms = sum(l["ms"] for l in layers)
    gflop = sum(l["gflop"] for l in layers)
    if not layers or ms <= 0:
        return "no 3x3 convolution in resnet50's profile"
    gflops = gflop / (ms / 1e3)
    winograd = sum(":winograd" in l["kernel"] for l in layers)
    return (f"the {len(layers)} 3x3 convolutions of resnet50 at batch 8 on 1 "
            f"thread (resc bench --profile; {winograd} by Winograd F(2x2, 3x3), "
            f"GFLOP/s counting direct-convolution FLOPs): {gflops:.1f} GFLOP/s, "
            f"{100 * gflops / peak['max_gflops']:.1f}% of the FMA peak, "
            f"{ms / r['repeat']:.1f} of {r['median_ms']:.1f} ms per pass")


def print_table(rows, peaks, notes, args):
    lines = []
    lines.append(f"Machine: {platform.machine()}, {os.cpu_count()} cores ({cpu_name()}); "
                 + "; ".join(f"FMA peak {t} thread{'s' if t > 1 else ''}: "
                             f"{p['max_gflops']:.1f} GFLOP/s ({p['isa']})"
                             for t, p in peaks.items()))
    lines.append(f"Medians of {args.repeat} runs after {args.warmup} warm-up, each "
                 "runtime in its own process; ratio = resc time / this runtime's "
                 "time (below 1: resc is faster); max rel diff = max |out - resc| / "
                 f"max |resc| (must be at most {RTOL:g}); peak RSS of the whole "
                 "process.")
    for note in notes:
        lines.append(f"Note: {note}.")
    lines.append("")
    lines.append("| model | batch | threads | runtime | median ms | min-max ms | "
                 "GFLOP/s | % peak | resc / this | peak RSS MiB | max rel diff |")
    lines.append("|---|---|---|---|---|---|---|---|---|---|---|")
    mismatches = 0
    for r in rows:
        head = f"| {r['model']} | {r['batch']} | {r['threads']} | {r['runtime']}"
        if r.get("missing"):
            lines.append(head + f" | {r['missing']} | | | | | | |")
            continue
        version = f" {r['version']}" if r["version"] else ""
        ok = r["error"] <= RTOL
        mismatches += not ok
        lines.append(
            f"| {r['model']} | {r['batch']} | {r['threads']} | {r['runtime']}{version} "
            f"| {r['median_ms']:.2f} | {r['min_ms']:.2f}-{r['max_ms']:.2f} "
            f"| {r['gflops']:.1f} | {r['peak_pct']:.1f} | {r['ratio']:.2f} "
            f"| {r['rss']:.0f} | {r['error']:.1e}{'' if ok else ' MISMATCH'} |")
    text = "\n".join(lines)
    print(text)
    if args.output:
        with open(args.output, "w") as f:
            f.write(text + "\n")
    return mismatches


def cpu_name():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def compile_scale(args):
    work = os.path.join(args.build, "bench", "compile_scale")
    lines = ["| model | wall s | peak RSS MiB | library MiB | kernels |",
             "|---|---|---|---|---|"]
    for model in ("resnet50", "preact_resnet164", "resnet1001"):
        out = os.path.join(work, model)
        shutil.rmtree(out, ignore_errors=True)
        start = time.perf_counter()
        process = subprocess.Popen([args.resc, "compile", model_file(model),
                                    "-o", out, "--name", model, "--verbose"],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   text=True)
        log = process.stdout.read()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        if status != 0:
            raise RuntimeError(f"resc compile {model} failed:\n{log[-2000:]}")
        size = os.path.getsize(os.path.join(out, f"lib{model}.a")) / 2**20
        # `resc compile --verbose` ends with "resc: wrote LIB (N kernels, ...".
        found = re.search(r"\((\d+) kernels", log)
        kernels = found.group(1) if found else "?"
        lines.append(f"| {model} | {wall:.1f} | {usage.ru_maxrss / 1024:.0f} "
                     f"| {size:.1f} | {kernels} |")
        print(lines[-1], file=sys.stderr, flush=True)
    print("\n".join(lines))


def train_step(args):
    """resc's training step (resc bench --train) against PyTorch eager for
    the configurations issue 6 names."""
    work = os.path.join(args.build, "bench", "train_step")
    os.makedirs(work, exist_ok=True)
    torch_ok = have_torch(args.python)
    lines = ["| model | batch | threads | resc forward ms | resc step ms "
             "| PyTorch eager step ms | resc / PyTorch |",
             "|---|---|---|---|---|---|---|"]
    configs = [("resnet20", 64), ("resnet18", 8)]
    if args.models:
        configs = [(m, b) for m, b in configs if m in args.models]
    for model, batch in configs:
        module = os.path.join(work, f"{model}_torch.py")
        weights = os.path.join(work, f"{model}.safetensors")
        subprocess.run([args.resc, "emit", model_file(model), "--format",
                        "torch", "-o", module], check=True)
        subprocess.run([args.resc, "init-weights", model_file(model), "-o",
                        weights], check=True)
        for threads in args.threads:
            ours = run_json([args.resc, "bench", model_file(model), "--train",
                             "--json", "--batch", str(batch), "--threads",
                             str(threads), "--repeat", str(args.repeat),
                             "--warmup", str(args.warmup), "--weights",
                             weights])
            peer, ratio = "missing", "-"
            if torch_ok:
                theirs = run_json(
                    [args.python, os.path.join(HERE, "torch_train_step.py"),
                     module, weights, str(batch), str(threads),
                     str(args.repeat), str(args.warmup)], env=TORCH_ENV)
                peer = f"{theirs['median_ms']:.1f}"
                ratio = f"{ours['train_step_median_ms'] / theirs['median_ms']:.2f}"
            lines.append(f"| {model} | {batch} | {threads} "
                         f"| {ours['median_ms']:.1f} "
                         f"| {ours['train_step_median_ms']:.1f} | {peer} "
                         f"| {ratio} |")
            print(lines[-1], file=sys.stderr, flush=True)
    print("\n".join(lines))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--build", required=True)
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--node-dir", required=True)
    parser.add_argument("--models", nargs="*")
    parser.add_argument("--batches", nargs="*", type=int)
    parser.add_argument("--threads", nargs="*", type=int, default=[1, 2])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--output")
    parser.add_argument("--compile-scale", action="store_true")
    parser.add_argument("--train-step", action="store_true")
    args = parser.parse_args()
    if args.repeat < 20:
        parser.error("--repeat must be at least 20 (the suite reports medians "
                     "of at least 20 runs)")
    args.resc = os.path.join(args.build, "compiler", "tools", "resc")
    if args.compile_scale:
        compile_scale(args)
        return
    if args.train_step:
        train_step(args)
        return
    rows, peaks, notes = benchmark(args)
    if print_table(rows, peaks, notes, args):
        print("error: outputs disagree beyond the tolerance", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
