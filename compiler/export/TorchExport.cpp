// The Python generator behind `resc emit --format torch`. Each SSA value of
// the model becomes a Python variable and each res op one torch.nn.functional
// call, so the module computes exactly the ops of the IR (and traces, freezes
// and exports to ONNX like any hand-written module). Residual blocks and
// repeats are inlined; a tied repeat is a Python loop over the same
// parameters, so tracing unrolls it as resc's interpreter does.
#include "compiler/export/TorchExport.h"
#include "compiler/driver/LoadModel.h"

#include "dialect/ResDialect.h"
#include "dialect/ShapeRules.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/Format.h"

#include <cctype>
#include <set>
#include <string>

using namespace mlir;
using namespace resc::driver;

namespace resc::emit {
namespace {

/// The fixed part of the module: safetensors reading, model construction and
/// a command line. Kept as Python text so the generated file needs nothing
/// beyond torch and numpy.
constexpr const char *kRuntime = R"PY(
_DTYPES = {"F32": np.float32, "F64": np.float64, "F16": np.float16,
           "I64": np.int64, "I32": np.int32}


def load_safetensors(path):
    """Reads a safetensors file into a dict of float32 torch tensors."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path}: not a safetensors file (shorter than 8 bytes)")
    (size,) = struct.unpack("<Q", data[:8])
    if 8 + size > len(data):
        raise ValueError(f"{path}: header of {size} bytes runs past the end")
    header = json.loads(data[8:8 + size])
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = _DTYPES.get(info["dtype"])
        if dtype is None:
            raise ValueError(f"{path}: tensor '{name}' has unsupported dtype "
                             f"{info['dtype']}")
        begin, end = info["data_offsets"]
        count = (end - begin) // np.dtype(dtype).itemsize
        array = np.frombuffer(data, dtype=dtype, count=count,
                              offset=8 + size + begin)
        tensors[name] = torch.from_numpy(
            array.reshape(info["shape"]).astype(np.float32))
    return tensors


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        # Nested container modules give the dotted state_dict keys.
        for name, shape, buffer in PARAMS:
            *path, leaf = name.split(".")
            owner = self
            for part in path:
                if part not in owner._modules:
                    owner.add_module(part, torch.nn.Module())
                owner = owner._modules[part]
            tensor = torch.zeros(shape)
            if buffer:
                owner.register_buffer(leaf, tensor)
            else:
                owner.register_parameter(leaf, torch.nn.Parameter(tensor))

    def forward(self, *inputs):
        p = dict(self.named_parameters())
        p.update(self.named_buffers())
        return _forward(p, self.training, *inputs)


def load_model(weights=None):
    """The model in eval mode, with the weights of a safetensors file.

    PyTorch's num_batches_tracked counters are dropped, as resc ignores them;
    any other missing or extra key is an error (strict loading)."""
    model = Model()
    if weights is not None:
        state = {k: v for k, v in load_safetensors(weights).items()
                 if not k.endswith("num_batches_tracked")}
        model.load_state_dict(state, strict=True)
    return model.eval()


def main(argv=None):
    import argparse
    parser = argparse.ArgumentParser(
        description=f"Runs {MODEL_NAME} in PyTorch on .npy inputs.")
    parser.add_argument("--weights", help="safetensors file (default: zeros)")
    parser.add_argument("--input", action="append", default=[],
                        help="FILE.npy, one per model input, in order")
    parser.add_argument("--output", action="append", default=[],
                        help="FILE.npy to write, one per model output, in order")
    args = parser.parse_args(argv)
    if len(args.input) != len(INPUTS):
        parser.error(f"{MODEL_NAME} takes {len(INPUTS)} input(s): "
                     + ", ".join(name for name, _ in INPUTS))
    model = load_model(args.weights)
    inputs = [torch.from_numpy(np.load(f).astype(np.float32))
              for f in args.input]
    with torch.no_grad():
        outputs = model(*inputs)
    if not isinstance(outputs, tuple):
        outputs = (outputs,)
    for name, value in zip(OUTPUTS, outputs):
        print(f"{name}: {list(value.shape)}")
    for path, value in zip(args.output, outputs):
        np.save(path, value.numpy())


if __name__ == "__main__":
    main()
)PY";

std::string pyFloat(double value) {
  std::string text;
  llvm::raw_string_ostream(text) << llvm::format("%.17g", value);
  if (text.find_first_of(".eEn") == std::string::npos)
    text += ".0";
  return text;
}

std::string pyList(ArrayRef<int64_t> values) {
  std::string text = "[";
  for (size_t i = 0; i < values.size(); ++i)
    text += (i ? ", " : "") +
            (values[i] < 0 ? std::string("None") : std::to_string(values[i]));
  return text + "]";
}

std::string pyString(StringRef text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + "\"";
}

bool isIdentifier(StringRef name) {
  static const std::set<std::string> reserved = {
      "False",  "None",   "True",    "and",      "as",       "assert", "async",
      "await",  "break",  "class",   "continue", "def",      "del",    "elif",
      "else",   "except", "finally", "for",      "from",     "global", "if",
      "import", "in",     "is",      "lambda",   "nonlocal", "not",    "or",
      "pass",   "raise",  "return",  "try",      "while",    "with",   "yield",
      "p",      "torch",  "F",       "np",       "_"};
  if (name.empty() || reserved.count(name.str()) || name.starts_with("v") ||
      !(std::isalpha(name[0]) || name[0] == '_'))
    return false;
  return llvm::all_of(name, [](char c) { return std::isalnum(c) || c == '_'; });
}

std::string activation(res::Activation kind, const std::string &x) {
  switch (kind) {
  case res::Activation::identity:
    return x;
  case res::Activation::relu:
    return "F.relu(" + x + ")";
  case res::Activation::gelu:
    return "F.gelu(" + x + ")";
  case res::Activation::sigmoid:
    return "torch.sigmoid(" + x + ")";
  case res::Activation::tanh:
    return "torch.tanh(" + x + ")";
  case res::Activation::relu6:
    return "F.relu6(" + x + ")";
  case res::Activation::hardsigmoid:
    return "F.hardsigmoid(" + x + ")";
  case res::Activation::hardswish:
    return "F.hardswish(" + x + ")";
  case res::Activation::silu:
    return "F.silu(" + x + ")";
  }
  return x;
}

class Emitter {
public:
  explicit Emitter(llvm::raw_ostream &os) : os(os) {}

  /// Names the block's arguments and emits its ops; returns the yielded or
  /// returned values' names, or false after a diagnostic.
  bool emitBlock(Block &block, ArrayRef<std::string> args, int indent,
                 std::vector<std::string> &results) {
    for (auto [arg, name] : llvm::zip(block.getArguments(), args))
      names[arg] = name;
    for (Operation &op : block) {
      if (isa<res::YieldOp, func::ReturnOp>(op)) {
        for (Value v : op.getOperands())
          results.push_back(names.lookup(v));
        return true;
      }
      if (!emitOp(&op, indent))
        return false;
    }
    return true;
  }

private:
  std::string fresh() { return "v" + std::to_string(counter++); }
  std::string name(Value v) { return names.lookup(v); }

  void line(int indent, const std::string &text) {
    os.indent(indent) << text << "\n";
  }

  /// `vN = expr` for the op's one result.
  void assign(Operation *op, int indent, const std::string &expr) {
    std::string var = fresh();
    names[op->getResult(0)] = var;
    line(indent, var + " = " + expr);
  }

  bool emitOp(Operation *op, int indent) {
    if (auto w = dyn_cast<res::WeightOp>(op)) {
      names[w.getResult()] = "p[" + pyString(w.getParam()) + "]";
      return true;
    }
    if (auto conv = dyn_cast<res::Conv2DOp>(op)) {
      std::string bias = conv.getBias() ? name(conv.getBias()) : "None";
      assign(op, indent,
             "F.conv2d(" + name(conv.getInput()) + ", " +
                 name(conv.getWeight()) + ", " + bias + ", " +
                 pyList(conv.getStride()) + ", " + pyList(conv.getPadding()) +
                 ", " + pyList(conv.getDilation()) + ", " +
                 std::to_string(conv.getGroups()) + ")");
      return true;
    }
    if (auto bn = dyn_cast<res::BatchNormOp>(op)) {
      assign(op, indent,
             "F.batch_norm(" + name(bn.getInput()) + ", " +
                 name(bn.getRunningMean()) + ", " + name(bn.getRunningVar()) +
                 ", " + name(bn.getWeight()) + ", " + name(bn.getBias()) +
                 ", training, " + pyFloat(bn.getMomentum().convertToDouble()) +
                 ", " + pyFloat(bn.getEpsilon().convertToDouble()) + ")");
      return true;
    }
    if (auto act = dyn_cast<res::ActivationOp>(op)) {
      assign(op, indent, activation(act.getKind(), name(act.getInput())));
      return true;
    }
    if (auto pool = dyn_cast<res::MaxPool2DOp>(op)) {
      assign(op, indent,
             "F.max_pool2d(" + name(pool.getInput()) + ", " +
                 pyList(pool.getKernel()) + ", " + pyList(pool.getStride()) +
                 ", " + pyList(pool.getPadding()) + ")");
      return true;
    }
    if (auto pool = dyn_cast<res::AvgPool2DOp>(op)) {
      // Zero padding counts in the average, as res.avg_pool2d defines it.
      assign(op, indent,
             "F.avg_pool2d(" + name(pool.getInput()) + ", " +
                 pyList(pool.getKernel()) + ", " + pyList(pool.getStride()) +
                 ", " + pyList(pool.getPadding()) +
                 ", count_include_pad=True)");
      return true;
    }
    if (auto gap = dyn_cast<res::GlobalAvgPoolOp>(op)) {
      assign(op, indent, name(gap.getInput()) + ".mean((2, 3))");
      return true;
    }
    if (auto flat = dyn_cast<res::FlattenOp>(op)) {
      assign(op, indent, "torch.flatten(" + name(flat.getInput()) + ", 1)");
      return true;
    }
    if (auto reshape = dyn_cast<res::ReshapeOp>(op)) {
      // The batch stays; the rest of the shape is static.
      std::string shape = "(" + name(reshape.getInput()) + ".shape[0]";
      for (int64_t d :
           cast<RankedTensorType>(reshape.getType()).getShape().drop_front())
        shape += ", " + std::to_string(d);
      assign(op, indent, name(reshape.getInput()) + ".reshape(" + shape + "))");
      return true;
    }
    if (auto mul = dyn_cast<res::ChannelMulOp>(op)) {
      // A gate of [N, C] broadcasts over H and W as [N, C, 1, 1].
      bool vector =
          cast<RankedTensorType>(mul.getGate().getType()).getRank() == 2;
      assign(op, indent,
             name(mul.getInput()) + " * " + name(mul.getGate()) +
                 (vector ? "[:, :, None, None]" : ""));
      return true;
    }
    if (auto ln = dyn_cast<res::LayerNormOp>(op)) {
      // Over C of [N, C, H, W] as torchvision's LayerNorm2d: channels last,
      // normalise, back.
      auto type = cast<RankedTensorType>(ln.getInput().getType());
      const bool image = type.getRank() == 4;
      int64_t features = type.getDimSize(res::layerNormAxis(type.getRank()));
      std::string x = name(ln.getInput());
      std::string affine =
          ln.getWeight() ? name(ln.getWeight()) + ", " + name(ln.getBias())
                         : std::string("None, None");
      std::string expr = "F.layer_norm(" +
                         (image ? x + ".permute(0, 2, 3, 1)" : x) + ", (" +
                         std::to_string(features) + ",), " + affine + ", " +
                         pyFloat(ln.getEpsilon().convertToDouble()) + ")";
      assign(op, indent, image ? expr + ".permute(0, 3, 1, 2)" : expr);
      return true;
    }
    if (auto cs = dyn_cast<res::ChannelScaleOp>(op)) {
      // The scale is [C, 1, 1] or [D]: PyTorch broadcasts it as it is.
      assign(op, indent, name(cs.getInput()) + " * " + name(cs.getScale()));
      return true;
    }
    if (auto dense = dyn_cast<res::DenseOp>(op)) {
      std::string bias = dense.getBias() ? name(dense.getBias()) : "None";
      // Per pixel on [N, C, H, W]: over C, as ConvNeXt's blocks permute to
      // channels-last around their nn.Linear layers.
      bool pixels =
          cast<RankedTensorType>(dense.getInput().getType()).getRank() == 4;
      std::string x = name(dense.getInput());
      if (pixels)
        x += ".permute(0, 2, 3, 1)";
      assign(op, indent,
             "F.linear(" + x + ", " + name(dense.getWeight()) + ", " + bias +
                 ")" + (pixels ? ".permute(0, 3, 1, 2)" : ""));
      return true;
    }
    if (auto up = dyn_cast<res::UpsampleOp>(op)) {
      assign(op, indent,
             "F.interpolate(" + name(up.getInput()) + ", scale_factor=" +
                 pyFloat(double(up.getFactor())) + ", mode=\"nearest\")");
      return true;
    }
    if (auto add = dyn_cast<res::AddOp>(op))
      return emitAdd(add, indent);
    if (auto cat = dyn_cast<res::ConcatOp>(op)) {
      assign(op, indent,
             "torch.cat([" + name(cat.getLhs()) + ", " + name(cat.getRhs()) +
                 "], 1)");
      return true;
    }
    if (auto tok = dyn_cast<res::TokensOp>(op)) {
      assign(op, indent, name(tok.getInput()) + ".flatten(2).transpose(1, 2)");
      return true;
    }
    if (auto ct = dyn_cast<res::ClassTokenOp>(op)) {
      std::string x = name(ct.getInput());
      assign(op, indent,
             "torch.cat([" + name(ct.getToken()) + ".expand(" + x +
                 ".shape[0], -1, -1), " + x + "], dim=1)");
      return true;
    }
    if (auto pe = dyn_cast<res::PosEmbeddingOp>(op)) {
      assign(op, indent, name(pe.getInput()) + " + " + name(pe.getEmbedding()));
      return true;
    }
    if (auto t = dyn_cast<res::TokenOp>(op)) {
      assign(op, indent,
             name(t.getInput()) + "[:, " + std::to_string(t.getIndex()) + "]");
      return true;
    }
    if (auto attn = dyn_cast<res::AttentionOp>(op))
      return emitAttention(attn, indent);
    if (auto softmax = dyn_cast<res::SoftmaxOp>(op)) {
      assign(op, indent, "torch.softmax(" + name(softmax.getInput()) + ", -1)");
      return true;
    }
    if (auto residual = dyn_cast<res::ResidualOp>(op))
      return emitResidual(residual, indent);
    if (auto repeat = dyn_cast<res::RepeatOp>(op))
      return emitRepeat(repeat, indent);
    op->emitError() << "'" << op->getName() << "' has no PyTorch translation";
    return false;
  }

  // nn.MultiheadAttention's own functional form (sequence-first, hence the
  // transposes), so the export is PyTorch's arithmetic, not a copy of ours.
  bool emitAttention(res::AttentionOp attn, int indent) {
    std::string x = name(attn.getInput()) + ".transpose(0, 1)";
    auto type = cast<RankedTensorType>(attn.getType());
    auto optional = [&](Value v) { return v ? name(v) : std::string("None"); };
    assign(attn, indent,
           "F.multi_head_attention_forward(" + x + ", " + x + ", " + x + ", " +
               std::to_string(type.getDimSize(2)) + ", " +
               std::to_string(attn.getHeads()) + ", " +
               name(attn.getInWeight()) + ", " + optional(attn.getInBias()) +
               ", None, None, False, 0.0, " + name(attn.getOutWeight()) + ", " +
               optional(attn.getOutBias()) +
               ", training=False, need_weights=False)[0].transpose(0, 1)");
    return true;
  }

  bool emitAdd(res::AddOp add, int indent) {
    std::string lhs = name(add.getLhs()), rhs = name(add.getRhs());
    auto lhsType = cast<RankedTensorType>(add.getLhs().getType());
    auto rhsType = cast<RankedTensorType>(add.getRhs().getType());
    if (lhsType.getRank() >= 2 && rhsType.getDimSize(1) >= 0 &&
        rhsType.getDimSize(1) != lhsType.getDimSize(1)) {
      // Fewer channels on the right: added to the first channels only, the
      // parameter-free "option A" shortcut.
      std::string c = std::to_string(rhsType.getDimSize(1));
      assign(add, indent,
             "torch.cat([" + lhs + "[:, :" + c + "] + " + rhs + ", " + lhs +
                 "[:, " + c + ":]], 1)");
      return true;
    }
    assign(add, indent, lhs + " + " + rhs);
    return true;
  }

  bool emitResidual(res::ResidualOp residual, int indent) {
    std::string x = name(residual.getInput());
    std::string layer =
        residual.getLayer() ? residual.getLayer()->str() : "(unnamed)";
    line(indent, "# residual " + layer);
    std::vector<std::string> branch;
    if (!emitBlock(residual.getBranch().front(), {x}, indent, branch))
      return false;
    std::string shortcut = x;
    if (!residual.hasIdentityShortcut()) {
      std::vector<std::string> results;
      if (!emitBlock(residual.getShortcut().front(), {x}, indent, results))
        return false;
      shortcut = results.front();
    }
    double branchScale = residual.getBranchScale().convertToDouble();
    double outputScale = residual.getOutputScale().convertToDouble();
    std::string sum = branch.front();
    if (branchScale != 1.0)
      sum = pyFloat(branchScale) + " * " + sum;
    sum = shortcut + " + " + sum;
    if (outputScale != 1.0)
      sum = pyFloat(outputScale) + " * (" + sum + ")";
    if (auto after = residual.getAfter())
      sum = activation(*after, sum);
    assign(residual, indent, sum);
    return true;
  }

  bool emitRepeat(res::RepeatOp repeat, int indent) {
    std::string var = fresh();
    std::string layer =
        repeat.getLayer() ? repeat.getLayer()->str() : "(unnamed)";
    line(indent, "# tied repeat " + layer);
    line(indent, var + " = " + name(repeat.getInput()));
    line(indent, "for _ in range(" + std::to_string(repeat.getCount()) + "):");
    std::vector<std::string> results;
    if (!emitBlock(repeat.getBody().front(), {var}, indent + 4, results))
      return false;
    line(indent + 4, var + " = " + results.front());
    names[repeat.getResult()] = var;
    return true;
  }

  llvm::raw_ostream &os;
  llvm::DenseMap<Value, std::string> names;
  int counter = 0;
};

} // namespace

bool emitTorchModule(ModuleOp module, func::FuncOp model,
                     llvm::raw_ostream &os) {
  std::string body;
  llvm::raw_string_ostream bodyOs(body);
  Emitter emitter(bodyOs);
  std::vector<std::string> args, results;
  for (unsigned i = 0; i < model.getNumArguments(); ++i) {
    std::string arg = inputName(model, i);
    args.push_back(isIdentifier(arg) ? arg : "input" + std::to_string(i));
  }
  if (!emitter.emitBlock(model.getBody().front(), args, 4, results))
    return false;

  os << "# " << model.getSymName()
     << ": generated by `resc emit --format torch`. Do not edit: regenerate "
        "it from the model.\n"
        "# Usage: python3 this.py --weights w.safetensors --input x.npy "
        "--output y.npy\n"
        "#    or: import it and call load_model(\"w.safetensors\").\n"
        "import json\nimport struct\n\nimport numpy as np\nimport torch\n"
        "import torch.nn.functional as F\n\n";
  os << "MODEL_NAME = " << pyString(model.getSymName()) << "\n";
  os << "# (state_dict key, shape, is a buffer) in declaration order.\n";
  os << "PARAMS = [\n";
  for (auto param : module.getOps<res::ParamOp>()) {
    auto type = cast<RankedTensorType>(param.getType());
    os << "    (" << pyString(param.getSymName()) << ", "
       << pyList(type.getShape()) << ", "
       << (param.getBuffer() ? "True" : "False") << "),\n";
  }
  os << "]\n# (name, shape); None is a dynamic dimension (the batch).\n";
  os << "INPUTS = [\n";
  for (unsigned i = 0; i < model.getNumArguments(); ++i)
    os << "    (" << pyString(inputName(model, i)) << ", "
       << pyList(cast<RankedTensorType>(model.getArgumentTypes()[i]).getShape())
       << "),\n";
  os << "]\nOUTPUTS = [";
  for (unsigned i = 0; i < model.getNumResults(); ++i)
    os << (i ? ", " : "") << pyString(outputName(model, i));
  os << "]\n\n\n";

  // `training` is the module's mode: batch norm uses the batch statistics
  // and updates its running ones in train(), as torch.nn.BatchNorm2d does.
  os << "def _forward(p, training";
  for (const std::string &arg : args)
    os << ", " << arg;
  os << "):\n" << body;
  if (results.size() == 1)
    os << "    return " << results.front() << "\n";
  else {
    os << "    return (";
    for (const std::string &r : results)
      os << r << ", ";
    os << ")\n";
  }
  os << "\n" << kRuntime;
  return true;
}

} // namespace resc::emit
