"""Compares the training helpers of resc_train.h with PyTorch itself: the
losses (value and gradient) with torch.nn.functional.cross_entropy and
mse_loss, and the optimisers with torch.optim.SGD and torch.optim.Adam over
several steps, both fed the same gradients. The helpers are called through
ctypes from a shared library built for this test. Exits 77 (CTest's skip
code) when torch or numpy is missing.

usage: compare_train_torch.py LIBRARY
"""
import ctypes
import sys

try:
    import numpy as np
    import torch
except ImportError as e:
    print(f"SKIP: PyTorch is not installed for {sys.executable} ({e}); "
          "install python3-torch to run this test")
    sys.exit(77)

F32P = ctypes.POINTER(ctypes.c_float)
I32P = ctypes.POINTER(ctypes.c_int32)
I64P = ctypes.POINTER(ctypes.c_int64)


class SgdOptions(ctypes.Structure):
    _fields_ = [("learning_rate", ctypes.c_double),
                ("momentum", ctypes.c_double),
                ("dampening", ctypes.c_double),
                ("weight_decay", ctypes.c_double),
                ("nesterov", ctypes.c_int32)]


class AdamOptions(ctypes.Structure):
    _fields_ = [("learning_rate", ctypes.c_double),
                ("beta1", ctypes.c_double),
                ("beta2", ctypes.c_double),
                ("epsilon", ctypes.c_double),
                ("weight_decay", ctypes.c_double)]


def load(path):
    lib = ctypes.CDLL(path)
    lib.resc_softmax_cross_entropy.argtypes = [
        F32P, I32P, ctypes.c_int64, ctypes.c_int64, F32P, F32P]
    lib.resc_mse_loss.argtypes = [F32P, F32P, ctypes.c_int64, F32P, F32P]
    for name, options in (("resc_optimizer_create_sgd", SgdOptions),
                          ("resc_optimizer_create_adam", AdamOptions)):
        getattr(lib, name).argtypes = [
            ctypes.POINTER(options), ctypes.c_size_t, I64P,
            ctypes.POINTER(ctypes.c_void_p)]
    lib.resc_optimizer_step.argtypes = [
        ctypes.c_void_p, ctypes.POINTER(F32P), ctypes.POINTER(F32P)]
    lib.resc_optimizer_set_learning_rate.argtypes = [
        ctypes.c_void_p, ctypes.c_double]
    lib.resc_optimizer_destroy.argtypes = [ctypes.c_void_p]
    lib.resc_train_error_message.restype = ctypes.c_char_p
    return lib


def ptr(array, kind=F32P):
    return array.ctypes.data_as(kind)


def check(lib, status):
    if status != 0:
        raise RuntimeError(lib.resc_train_error_message().decode())


def expect_close(what, got, expected, rtol, atol, quiet=False):
    """Returns the largest absolute difference; raises past the tolerance."""
    got, expected = np.asarray(got), np.asarray(expected)
    worst = float(np.max(np.abs(got - expected)))
    if not np.allclose(got, expected, rtol=rtol, atol=atol):
        raise AssertionError(f"{what}: differs from PyTorch by up to {worst}")
    if not quiet:
        print(f"ok  {what} (max difference {worst:.3g})")
    return worst


def compare_cross_entropy(lib, rng, batch, classes, scale):
    logits = (rng.standard_normal((batch, classes)) * scale).astype(np.float32)
    labels = rng.integers(0, classes, batch).astype(np.int32)
    loss = np.zeros(1, np.float32)
    grad = np.zeros_like(logits)
    check(lib, lib.resc_softmax_cross_entropy(
        ptr(logits), ptr(labels, I32P), batch, classes, ptr(loss), ptr(grad)))
    x = torch.from_numpy(logits.copy()).requires_grad_()
    expected = torch.nn.functional.cross_entropy(
        x, torch.from_numpy(labels).long())
    expected.backward()
    what = f"cross_entropy {batch}x{classes} logits ~{scale:g}"
    expect_close(what + " loss", loss[0], expected.item(), 1e-5, 1e-6)
    expect_close(what + " grad", grad, x.grad.numpy(), 1e-4, 1e-7)


def compare_mse(lib, rng, count):
    pred = rng.standard_normal(count).astype(np.float32)
    target = rng.standard_normal(count).astype(np.float32)
    loss = np.zeros(1, np.float32)
    grad = np.zeros_like(pred)
    check(lib, lib.resc_mse_loss(ptr(pred), ptr(target), count, ptr(loss),
                                 ptr(grad)))
    x = torch.from_numpy(pred.copy()).requires_grad_()
    expected = torch.nn.functional.mse_loss(x, torch.from_numpy(target))
    expected.backward()
    expect_close(f"mse {count} loss", loss[0], expected.item(), 1e-5, 1e-7)
    expect_close(f"mse {count} grad", grad, x.grad.numpy(), 1e-5, 1e-8)


def compare_optimizer(lib, rng, name, create, options, make_torch, steps=12):
    shapes = [(4, 3), (7,), (1,)]
    start = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    ours = [p.copy().reshape(-1) for p in start]
    theirs = [torch.from_numpy(p.copy()).requires_grad_() for p in start]
    counts = np.array([p.size for p in ours], np.int64)
    handle = ctypes.c_void_p()
    check(lib, create(ctypes.byref(options), len(ours), ptr(counts, I64P),
                      ctypes.byref(handle)))
    optimizer = make_torch(theirs)
    worst = 0.0
    try:
        for step in range(steps):
            if step == steps // 2:
                # A schedule: both change the rate and keep their state.
                rate = options.learning_rate / 3
                check(lib, lib.resc_optimizer_set_learning_rate(handle, rate))
                for group in optimizer.param_groups:
                    group["lr"] = rate
            # Gradients of a toy loss at PyTorch's parameters, handed to
            # both, so that only the update rules are compared.
            optimizer.zero_grad()
            loss = sum(((p - 0.3) ** 2 * (i + 1)).sum() + torch.sin(p).sum()
                       for i, p in enumerate(theirs))
            loss.backward()
            grads = [p.grad.numpy().reshape(-1).copy() for p in theirs]
            params = (F32P * len(ours))(*[ptr(p) for p in ours])
            grad_ptrs = (F32P * len(grads))(*[ptr(g) for g in grads])
            status = lib.resc_optimizer_step(handle, params, grad_ptrs)
            if status != 0:
                raise RuntimeError(f"{name}: step failed ({status})")
            optimizer.step()
            for i, (mine, torch_param) in enumerate(zip(ours, theirs)):
                worst = max(worst, expect_close(
                    f"{name} step {step + 1} param {i}", mine,
                    torch_param.detach().numpy().reshape(-1), 2e-5, 1e-6,
                    quiet=True))
    finally:
        lib.resc_optimizer_destroy(handle)
    print(f"ok  {name}: {steps} steps (max difference {worst:.3g})")


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    lib = load(sys.argv[1])
    rng = np.random.default_rng(5)
    for batch, classes, scale in ((1, 10, 1), (16, 10, 3), (8, 3, 1e4)):
        compare_cross_entropy(lib, rng, batch, classes, scale)
    compare_mse(lib, rng, 1)
    compare_mse(lib, rng, 300)

    sgd_variants = {
        "sgd": dict(lr=0.1),
        "sgd momentum dampening": dict(lr=0.05, momentum=0.9, dampening=0.2),
        "sgd nesterov weight_decay": dict(lr=0.05, momentum=0.9,
                                          nesterov=True, weight_decay=1e-2),
    }
    for name, kw in sgd_variants.items():
        options = SgdOptions(kw["lr"], kw.get("momentum", 0),
                             kw.get("dampening", 0),
                             kw.get("weight_decay", 0),
                             int(kw.get("nesterov", False)))
        compare_optimizer(lib, rng, name, lib.resc_optimizer_create_sgd,
                          options,
                          lambda ps, kw=kw: torch.optim.SGD(ps, **kw))

    adam_variants = {
        "adam": dict(lr=1e-3),
        "adam large steps weight_decay": dict(lr=0.05, betas=(0.8, 0.99),
                                              eps=1e-6, weight_decay=0.1),
    }
    for name, kw in adam_variants.items():
        beta1, beta2 = kw.get("betas", (0.9, 0.999))
        options = AdamOptions(kw["lr"], beta1, beta2, kw.get("eps", 1e-8),
                              kw.get("weight_decay", 0))
        compare_optimizer(lib, rng, name, lib.resc_optimizer_create_adam,
                          options,
                          lambda ps, kw=kw: torch.optim.Adam(ps, **kw))
    print("all training helpers match PyTorch")
    return 0


if __name__ == "__main__":
    sys.exit(main())
