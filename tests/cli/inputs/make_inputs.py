"""Writes the generated .mlir inputs of resc's CLI tests (tiny.mlir, ...,
resnet18.mlir) next to this script: res-dialect IR built without the frontend,
so the CLI is tested on its own. Run it again after changing the IR syntax.
"""
import os
import sys

class G:
    def __init__(self):
        self.params = []
        self.lines = []
        self.n = 0
        self.indent = 4
    def v(self):
        self.n += 1
        return f"%v{self.n}"
    def emit(self, s):
        self.lines.append(" " * self.indent + s)
    def param(self, name, shape, buffer=False):
        t = f"tensor<{'x'.join(map(str, shape))}xf32>"
        if name not in [p[0] for p in self.params]:
            self.params.append((name, t, buffer))
        r = self.v()
        self.emit(f"{r} = res.weight @{name} : {t}")
        return r, t

def ty(shape):
    return "tensor<" + "x".join("?" if d is None else str(d) for d in shape) + "xf32>"

class Model:
    def __init__(self, g, x, shape):
        self.g, self.x, self.shape = g, x, shape
    def conv(self, name, cout, k, stride=1, pad=None, bias=False, groups=1):
        g = self.g
        if pad is None: pad = k // 2
        n, cin, h, w = self.shape
        wv, wt = g.param(name + ".weight", [cout, cin // groups, k, k])
        ops = [self.x, wv]; tys = [ty(self.shape), wt]
        if bias:
            bv, bt = g.param(name + ".bias", [cout]); ops.append(bv); tys.append(bt)
        ho = None if h is None else (h + 2 * pad - k) // stride + 1
        wo = None if w is None else (w + 2 * pad - k) // stride + 1
        out = [n, cout, ho, wo]
        r = g.v()
        g.emit(f"{r} = res.conv2d {', '.join(ops)} {{dilation = array<i64: 1, 1>, groups = {groups} : i64, layer = \"{name}\", padding = array<i64: {pad}, {pad}>, stride = array<i64: {stride}, {stride}>}} : ({', '.join(tys)}) -> {ty(out)}")
        self.x, self.shape = r, out
        return self
    def bn(self, name):
        g = self.g; c = self.shape[1]
        vs = []
        for t, buf in [("weight", False), ("bias", False), ("running_mean", True), ("running_var", True)]:
            v, vt = g.param(f"{name}.{t}", [c], buf); vs.append(v)
        r = g.v(); t1 = f"tensor<{c}xf32>"
        g.emit(f"{r} = res.batch_norm {self.x}, {', '.join(vs)} {{epsilon = 1.000000e-05 : f64, layer = \"{name}\", momentum = 1.000000e-01 : f64}} : ({ty(self.shape)}, {t1}, {t1}, {t1}, {t1}) -> {ty(self.shape)}")
        self.x = r
        return self
    def act(self, kind="relu"):
        r = self.g.v()
        self.g.emit(f"{r} = res.activation {kind} {self.x} : {ty(self.shape)}")
        self.x = r
        return self
    def maxpool(self, k, s, p):
        n, c, h, w = self.shape
        out = [n, c, (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1]
        r = self.g.v()
        self.g.emit(f"{r} = res.max_pool2d {self.x} {{kernel = array<i64: {k}, {k}>, padding = array<i64: {p}, {p}>, stride = array<i64: {s}, {s}>}} : ({ty(self.shape)}) -> {ty(out)}")
        self.x, self.shape = r, out
        return self
    def gap(self):
        out = self.shape[:2]
        r = self.g.v()
        self.g.emit(f"{r} = res.global_avg_pool {self.x} : ({ty(self.shape)}) -> {ty(out)}")
        self.x, self.shape = r, out
        return self
    def dense(self, name, out_f, bias=True):
        g = self.g
        wv, wt = g.param(name + ".weight", [out_f, self.shape[1]])
        ops = [self.x, wv]; tys = [ty(self.shape), wt]
        if bias:
            bv, bt = g.param(name + ".bias", [out_f]); ops.append(bv); tys.append(bt)
        out = [self.shape[0], out_f]
        r = g.v()
        g.emit(f"{r} = res.dense {', '.join(ops)} {{layer = \"{name}\"}} : ({', '.join(tys)}) -> {ty(out)}")
        self.x, self.shape = r, out
        return self
    def residual(self, name, branch, shortcut=None, after="relu", extra=""):
        g = self.g
        inshape = self.shape
        r = g.v()
        idx = len(g.lines)
        g.lines.append(None)
        g.indent += 2
        a = g.v()
        g.emit(f"^bb0({a}: {ty(inshape)}):")
        m = Model(g, a, inshape); branch(m)
        g.emit(f"res.yield {m.x} : {ty(m.shape)}")
        out = m.shape
        g.indent -= 2
        sc = ""
        if shortcut:
            g.emit("} shortcut {")
            g.indent += 2
            a2 = g.v()
            g.emit(f"^bb0({a2}: {ty(inshape)}):")
            m2 = Model(g, a2, inshape); shortcut(m2)
            g.emit(f"res.yield {m2.x} : {ty(m2.shape)}")
            g.indent -= 2
        g.emit("}")
        aft = f" after {after}" if after else ""
        g.lines[idx] = " " * g.indent + f"{r} = res.residual {self.x}{aft} {{{extra}layer = \"{name}\"}} : {ty(inshape)} -> {ty(out)} branch {{"
        self.x, self.shape = r, out
        return self
    def repeat(self, name, count, body):
        g = self.g
        r = g.v(); idx = len(g.lines); g.lines.append(None)
        g.indent += 2
        a = g.v()
        g.emit(f"^bb0({a}: {ty(self.shape)}):")
        m = Model(g, a, self.shape); body(m)
        g.emit(f"res.yield {m.x} : {ty(m.shape)}")
        g.indent -= 2
        g.emit("}")
        g.lines[idx] = " " * g.indent + f"{r} = res.repeat {self.x} {{count = {count} : i64, layer = \"{name}\"}} : {ty(self.shape)} body {{"
        self.x = r
        return self

def module(fname, inname, inshape, outname, build):
    g = G()
    m = Model(g, "%x", inshape)
    build(m)
    g.emit(f"return {m.x} : {ty(m.shape)}")
    out = ["module {"]
    for name, t, buf in g.params:
        out.append(f"  res.param @{name} : {t}" + (" {buffer}" if buf else ""))
    out.append(f"  func.func @{fname}(%x: {ty(inshape)} {{res.name = \"{inname}\"}}) -> ({ty(m.shape)} {{res.name = \"{outname}\"}}) {{")
    out += g.lines
    out.append("  }")
    out.append("}")
    return "\n".join(out) + "\n"

def basic(name, c, stride, cin):
    def br(m):
        m.conv(name + ".conv1", c, 3, stride).bn(name + ".bn1").act().conv(name + ".conv2", c, 3).bn(name + ".bn2")
    sc = None
    if stride != 1 or cin != c:
        sc = lambda m: m.conv(name + ".downsample.0", c, 1, stride).bn(name + ".downsample.1")
    return br, sc

def bottleneck(name, c, stride, cin):
    def br(m):
        m.conv(name + ".conv1", c, 1).bn(name + ".bn1").act().conv(name + ".conv2", c, 3, stride).bn(name + ".bn2").act().conv(name + ".conv3", c * 4, 1).bn(name + ".bn3")
    sc = None
    if stride != 1 or cin != c * 4:
        sc = lambda m: m.conv(name + ".downsample.0", c * 4, 1, stride).bn(name + ".downsample.1")
    return br, sc

def resnet(blocks, block, expansion):
    def build(m):
        m.conv("conv1", 64, 7, 2, 3).bn("bn1").act().maxpool(3, 2, 1)
        for li, (n, c) in enumerate(zip(blocks, [64, 128, 256, 512])):
            for b in range(n):
                stride = 2 if (b == 0 and li > 0) else 1
                name = f"layer{li+1}.{b}"
                br, sc = block(name, c, stride, m.shape[1])
                m.residual(name, br, sc)
        m.gap().dense("fc", 1000)
    return build

def extra(which):
    if which == "tiny_k1":
        def build(m):
            m.conv("stem", 4, 1, bias=True).bn("bn1").act()
            br, sc = basic("layer1.0", 4, 1, 4); m.residual("layer1.0", br, sc)
            br, sc = basic("layer2.0", 8, 2, 4); m.residual("layer2.0", br, sc)
            m.repeat("ode", 3, lambda b: b.residual("ode", lambda r: r.conv("ode.conv", 8, 3, bias=True).act("tanh"), None, None, "branch_scale = 1.000000e-01 : f64, "))
            m.gap().dense("fc", 10)
        return module("tiny", "image", [None, 3, 8, 8], "logits", build)
    if which == "stem_only":
        return module("stem_only", "image", [None, 3, 8, 8], "features", lambda m: m.conv("stem", 4, 3, bias=True))
    if which == "dynamic_hw":
        def build(m):
            m.conv("stem", 4, 3, bias=True).act().gap().dense("fc", 10)
        return module("dynamic_hw", "image", [None, 3, None, None], "logits", build)
    if which == "vector":
        return module("vector", "x", [None, 4], "y", lambda m: m.dense("fc", 4).act("tanh"))
    if which == "tiny":
        def build(m):
            m.conv("stem", 4, 3, bias=True).bn("bn1").act()
            br, sc = basic("layer1.0", 4, 1, 4); m.residual("layer1.0", br, sc)
            br, sc = basic("layer2.0", 8, 2, 4); m.residual("layer2.0", br, sc)
            m.repeat("ode", 3, lambda b: b.residual("ode", lambda r: r.conv("ode.conv", 8, 3, bias=True).act("tanh"), None, None, "branch_scale = 1.000000e-01 : f64, "))
            m.gap().dense("fc", 10)
        return module("tiny", "image", [None, 3, 8, 8], "logits", build)
    if which == "resnet18":
        return module("resnet18", "image", [None, 3, 224, 224], "logits", resnet([2, 2, 2, 2], basic, 1))

HEADERS = {
    "resnet18": "// torchvision's ResNet-18 in the res dialect (written by make_inputs.py), so\n"
                "// 'resc info' totals are tested without the frontend.\n",
}

if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    for which in ["tiny", "tiny_k1", "stem_only", "dynamic_hw", "vector", "resnet18"]:
        header = HEADERS.get(which, "// Test model for resc's CLI tests, written by tests/cli/inputs/make_inputs.py.\n")
        with open(os.path.join(here, which + ".mlir"), "w") as f:
            f.write(header + extra(which))

