// The built-in statements of the language (docs/language.md, "Layers"):
// their signatures, argument checks, shape rules and the ops they emit.
#include "dialect/ShapeRules.h"
#include "frontend/Elaborator.h"

#include <cmath>

using namespace mlir;

namespace res {

namespace {

std::function<std::optional<Scalar>(const Environment &)>
constant(Scalar value) {
  return [value](const Environment &) { return value; };
}

const std::map<std::string, std::vector<ParamSpec>> &signatures() {
  static const std::map<std::string, std::vector<ParamSpec>> table = [] {
    std::map<std::string, std::vector<ParamSpec>> t;
    auto one = constant(Scalar::ofInt(1));
    t["conv"] = {{"out", nullptr},
                 {"k", nullptr},
                 {"stride", one},
                 // `pad = k / 2`: "same" padding for odd kernels.
                 {"pad",
                  [](const Environment &e) -> std::optional<Scalar> {
                    const Scalar &k = e.vars.at("k");
                    if (k.kind != Scalar::Kind::Int)
                      return k;
                    return Scalar::ofInt(k.i / 2);
                  }},
                 {"dilation", one},
                 {"groups", one},
                 {"bias", constant(Scalar::ofBool(true))}};
    t["bn"] = {{"eps", constant(Scalar::ofReal(1e-5))},
               {"momentum", constant(Scalar::ofReal(0.1))}};
    for (const char *pool : {"maxpool", "avgpool"})
      t[pool] = {{"k", nullptr},
                 {"stride",
                  [](const Environment &e) -> std::optional<Scalar> {
                    return e.vars.at("k");
                  }},
                 {"pad", constant(Scalar::ofInt(0))}};
    t["dense"] = {{"out", nullptr}, {"bias", constant(Scalar::ofBool(true))}};
    t["upsample"] = {{"factor", nullptr}};
    t["layernorm"] = {{"eps", constant(Scalar::ofReal(1e-5))},
                      {"affine", constant(Scalar::ofBool(true))}};
    t["channel_scale"] = {{"init", constant(Scalar::ofReal(1e-6))}};
    t["global_avgpool"] = {{"keep", constant(Scalar::ofBool(false))}};
    t["dropout"] = {{"p", constant(Scalar::ofReal(0.5))}};
    t["token"] = {{"index", nullptr}};
    t["attention"] = {{"heads", nullptr},
                      {"bias", constant(Scalar::ofBool(true))}};
    for (const char *none :
         {"relu", "gelu", "sigmoid", "tanh", "relu6", "hardsigmoid",
          "hardswish", "silu", "identity", "flatten", "softmax", "tokens",
          "class_token", "pos_embedding"})
      t[none] = {};
    return t;
  }();
  return table;
}

} // namespace

/// Checked access to the bound arguments of one built-in call.
class BuiltinArgs {
public:
  BuiltinArgs(const ast::Stmt &call, const std::vector<ParamSpec> &specs,
              const Environment &env, ReportFn report)
      : call(call), specs(specs), env(env), report(std::move(report)) {}

  llvm::SMLoc locOf(const std::string &name) const {
    for (size_t i = 0; i < call.args.size(); ++i) {
      const ast::Argument &a = call.args[i];
      if (a.name == name ||
          (a.name.empty() && i < specs.size() && specs[i].name == name))
        return a.loc;
    }
    return call.loc;
  }

  std::optional<int64_t> integer(const std::string &name, int64_t minimum) {
    const Scalar &v = env.vars.at(name);
    if (v.kind != Scalar::Kind::Int) {
      report(locOf(name), call.callee + ": '" + name +
                              "' must be an integer, got " + v.kindName() +
                              " (" + v.str() + ")");
      return std::nullopt;
    }
    if (v.i < minimum || v.i > (int64_t(1) << 31)) {
      std::string bound = v.i >= minimum ? "at most 2^31"
                          : minimum == 1 ? "positive"
                          : minimum == 0
                              ? "zero or more, not negative"
                              : "at least " + std::to_string(minimum);
      report(locOf(name), call.callee + ": '" + name + "' must be " + bound +
                              ", got " + v.str());
      return std::nullopt;
    }
    return v.i;
  }

  std::optional<double> real(const std::string &name, bool positive) {
    const Scalar &v = env.vars.at(name);
    if (v.kind == Scalar::Kind::Bool) {
      report(locOf(name),
             call.callee + ": '" + name + "' must be a number, got a boolean");
      return std::nullopt;
    }
    if (positive && !(v.asReal() > 0)) {
      report(locOf(name),
             call.callee + ": '" + name + "' must be positive, got " + v.str());
      return std::nullopt;
    }
    return v.asReal();
  }

  std::optional<bool> boolean(const std::string &name) {
    const Scalar &v = env.vars.at(name);
    if (v.kind != Scalar::Kind::Bool) {
      report(locOf(name), call.callee + ": '" + name +
                              "' must be true or false, got " + v.str());
      return std::nullopt;
    }
    return v.b;
  }

private:
  const ast::Stmt &call;
  const std::vector<ParamSpec> &specs;
  const Environment &env;
  ReportFn report;
};

namespace {

llvm::SmallVector<int64_t> dimsOf(Value v) {
  llvm::SmallVector<int64_t> dims;
  for (int64_t d : cast<RankedTensorType>(v.getType()).getShape())
    dims.push_back(ShapedType::isDynamic(d) ? kDynamicDim : d);
  return dims;
}

} // namespace

bool Elaborator::isBuiltin(const std::string &name) const {
  return signatures().count(name) != 0;
}

LogicalResult Elaborator::emitBuiltin(const ast::Stmt &call,
                                      const std::string &path, Environment &env,
                                      Flow &flow) {
  const auto &specs = signatures().at(call.callee);
  auto bound = bindArguments(call.callee, specs, call.args, call.loc, env,
                             Environment{}, reporter());
  if (!bound)
    return failure();
  BuiltinArgs args(call, specs, *bound, reporter());
  if (!countOp(call.loc))
    return failure();

  const std::string &what = call.callee;
  Value x = flow.current;
  auto in = dimsOf(x);
  OpBuilder &b = flow.builder;
  Location at = loc(call.loc);
  StringAttr layer = b.getStringAttr(path);
  auto needRank = [&](size_t rank, const char *shape) {
    if (in.size() == rank)
      return true;
    // The two ways a Transformer's tensors meet an image's layers.
    std::string hint =
        in.size() == 3 && rank == 4
            ? " (a tensor of tokens [N, T, D]: " + what + " works on images)"
        : in.size() == 4 && rank == 3
            ? "; use 'tokens' first to make [N, H*W, C] "
              "tokens of it"
            : "";
    error(call.loc, what + " needs a " + std::to_string(rank) + "-D input " +
                        shape + " but the current tensor is " +
                        shapeText(x.getType()) + hint);
    return false;
  };
  auto needChannels = [&](int64_t c) {
    if (c >= 0)
      return true;
    error(call.loc, what + " needs a known number of channels, but the "
                           "current tensor's are chosen at run time");
    return false;
  };
  // Spatial output size of a window, refusing windows that do not fit.
  auto window = [&](int64_t size, int64_t k, int64_t stride, int64_t pad,
                    int64_t dilation,
                    const char *axis) -> std::optional<int64_t> {
    if (size < 0 && (stride != 1 || 2 * pad != dilation * (k - 1)))
      ++dynamicResizes;
    int64_t out = windowOutputSize(size, k, stride, pad, dilation);
    if (size >= 0 && out <= 0) {
      error(call.loc,
            what + ": a window of " + std::to_string(k) +
                (dilation > 1 ? " with dilation " + std::to_string(dilation)
                              : std::string()) +
                " and padding " + std::to_string(pad) +
                " does not fit the input's " + axis + " of " +
                std::to_string(size) + "; the output would be empty");
      return std::nullopt;
    }
    return out;
  };

  if (what == "conv") {
    auto out = args.integer("out", 1), k = args.integer("k", 1),
         stride = args.integer("stride", 1), pad = args.integer("pad", 0),
         dilation = args.integer("dilation", 1),
         groups = args.integer("groups", 1);
    auto bias = args.boolean("bias");
    if (!out || !k || !stride || !pad || !dilation || !groups || !bias)
      return failure();
    if (!needRank(4, "[N, C, H, W]") || !needChannels(in[1]))
      return failure();
    if (in[1] % *groups || *out % *groups) {
      error(args.locOf("groups"), "conv: groups=" + std::to_string(*groups) +
                                      " must divide both the input channels (" +
                                      std::to_string(in[1]) +
                                      ") and the output channels (" +
                                      std::to_string(*out) + ")");
      return failure();
    }
    auto h = window(in[2], *k, *stride, *pad, *dilation, "height");
    auto w =
        h ? window(in[3], *k, *stride, *pad, *dilation, "width") : std::nullopt;
    if (!h || !w)
      return failure();
    Value weight =
        param(b, call.loc, path + ".weight", {*out, in[1] / *groups, *k, *k});
    Value biasValue =
        *bias ? param(b, call.loc, path + ".bias", {*out}) : Value();
    if (!weight || (*bias && !biasValue))
      return failure();
    flow.current = b.create<Conv2DOp>(
        at, tensorType({in[0], *out, *h, *w}), x, weight, biasValue,
        b.getDenseI64ArrayAttr({*stride, *stride}),
        b.getDenseI64ArrayAttr({*pad, *pad}),
        b.getDenseI64ArrayAttr({*dilation, *dilation}),
        b.getI64IntegerAttr(*groups), layer);
    return success();
  }
  if (what == "bn") {
    auto eps = args.real("eps", true), momentum = args.real("momentum", false);
    if (!eps || !momentum)
      return failure();
    if (in.size() < 2) {
      error(call.loc, "bn needs a channel dimension");
      return failure();
    }
    if (in.size() == 3) {
      // BatchNorm1d would take T as the channels: rarely what is meant.
      error(call.loc, "bn works on images [N, C, H, W] and vectors [N, D], "
                      "not on tokens " +
                          shapeText(x.getType()) +
                          "; Transformers normalise tokens with layernorm");
      return failure();
    }
    if (!needChannels(in[1]))
      return failure();
    Value w = param(b, call.loc, path + ".weight", {in[1]});
    Value bias = w ? param(b, call.loc, path + ".bias", {in[1]}) : Value();
    Value mean = bias
                     ? param(b, call.loc, path + ".running_mean", {in[1]}, true)
                     : Value();
    Value var = mean ? param(b, call.loc, path + ".running_var", {in[1]}, true)
                     : Value();
    if (!var)
      return failure();
    flow.current = b.create<BatchNormOp>(at, x.getType(), x, w, bias, mean, var,
                                         b.getF64FloatAttr(*eps),
                                         b.getF64FloatAttr(*momentum), layer);
    return success();
  }
  if (auto kind = symbolizeActivation(what)) {
    flow.current = b.create<ActivationOp>(
        at, x.getType(), ActivationAttr::get(&context, *kind), x, layer);
    return success();
  }
  if (what == "dropout") {
    // The identity at inference (nn.Dropout in eval()); with p > 0 the op
    // keeps p so that training, which does not implement it, is refused.
    auto p = args.real("p", false);
    if (!p)
      return failure();
    if (*p < 0 || *p >= 1) {
      error(args.locOf("p"),
            "dropout: 'p' must be at least 0 and below 1, got " +
                Scalar::ofReal(*p).str());
      return failure();
    }
    if (*p == 0)
      return success();
    auto op = b.create<ActivationOp>(
        at, x.getType(), ActivationAttr::get(&context, Activation::identity), x,
        layer);
    op->setAttr(kDropoutAttr, b.getF64FloatAttr(*p));
    flow.current = op;
    return success();
  }
  if (what == "maxpool" || what == "avgpool") {
    auto k = args.integer("k", 1), stride = args.integer("stride", 1),
         pad = args.integer("pad", 0);
    if (!k || !stride || !pad || !needRank(4, "[N, C, H, W]"))
      return failure();
    if (*pad * 2 > *k) {
      error(args.locOf("pad"), what + ": padding " + std::to_string(*pad) +
                                   " must be at most half the window (" +
                                   std::to_string(*k) + ")");
      return failure();
    }
    auto h = window(in[2], *k, *stride, *pad, 1, "height");
    auto w = h ? window(in[3], *k, *stride, *pad, 1, "width") : std::nullopt;
    if (!h || !w)
      return failure();
    auto type = tensorType({in[0], in[1], *h, *w});
    auto kernel = b.getDenseI64ArrayAttr({*k, *k});
    auto strides = b.getDenseI64ArrayAttr({*stride, *stride});
    auto padding = b.getDenseI64ArrayAttr({*pad, *pad});
    if (what == "maxpool")
      flow.current =
          b.create<MaxPool2DOp>(at, type, x, kernel, strides, padding, layer);
    else
      flow.current =
          b.create<AvgPool2DOp>(at, type, x, kernel, strides, padding, layer);
    return success();
  }
  if (what == "global_avgpool") {
    auto keep = args.boolean("keep");
    if (!keep || !needRank(4, "[N, C, H, W]"))
      return failure();
    flow.current =
        b.create<GlobalAvgPoolOp>(at, tensorType({in[0], in[1]}), x, layer);
    // keep = true: [N, C, 1, 1], as AdaptiveAvgPool2d(1) gives it (the
    // same elements).
    if (*keep)
      flow.current = b.create<ReshapeOp>(at, tensorType({in[0], in[1], 1, 1}),
                                         flow.current, StringAttr());
    return success();
  }
  if (what == "flatten") {
    if (in.size() < 2) {
      error(call.loc, "flatten needs at least 2 dimensions");
      return failure();
    }
    int64_t features = 1;
    for (size_t i = 1; i < in.size(); ++i) {
      if (in[i] < 0 || features < 0) {
        features = kDynamicDim;
        continue;
      }
      // Dims are at most 2^31 each, so their product can overflow int64.
      if (__builtin_mul_overflow(features, in[i], &features) ||
          features > (int64_t(1) << 31)) {
        error(call.loc, "flatten of " + shapeText(x.getType()) +
                            " would give more than 2^31 features");
        return failure();
      }
    }
    flow.current =
        b.create<FlattenOp>(at, tensorType({in[0], features}), x, layer);
    return success();
  }
  if (what == "dense") {
    auto out = args.integer("out", 1);
    auto bias = args.boolean("bias");
    if (!out || !bias)
      return failure();
    // Per token on [N, T, D], per pixel on [N, C, H, W] (over C), as
    // ConvNeXt uses it.
    const int64_t axis = featureAxis(int64_t(in.size()));
    if (axis < 0) {
      error(call.loc, "dense needs [N, features], [N, T, D] or [N, C, H, W] "
                      "but the current tensor is " +
                          shapeText(x.getType()));
      return failure();
    }
    if (!needChannels(in[axis]))
      return failure();
    Value weight = param(b, call.loc, path + ".weight", {*out, in[axis]});
    Value biasValue =
        *bias && weight ? param(b, call.loc, path + ".bias", {*out}) : Value();
    if (!weight || (*bias && !biasValue))
      return failure();
    SmallVector<int64_t> outDims(in.begin(), in.end());
    outDims[axis] = *out;
    flow.current =
        b.create<DenseOp>(at, tensorType(outDims), x, weight, biasValue, layer);
    return success();
  }
  if (what == "upsample") {
    auto factor = args.integer("factor", 1);
    if (!factor || !needRank(4, "[N, C, H, W]"))
      return failure();
    auto scaled = [&](int64_t d) -> std::optional<int64_t> {
      if (d < 0) {
        dynamicResizes += *factor != 1;
        return d;
      }
      int64_t r;
      if (__builtin_mul_overflow(d, *factor, &r) || r > (int64_t(1) << 31)) {
        error(args.locOf("factor"), "upsample: the output would be too large");
        return std::nullopt;
      }
      return r;
    };
    auto h = scaled(in[2]);
    auto w = h ? scaled(in[3]) : std::nullopt;
    if (!h || !w)
      return failure();
    flow.current = b.create<UpsampleOp>(at, tensorType({in[0], in[1], *h, *w}),
                                        x, b.getI64IntegerAttr(*factor), layer);
    return success();
  }
  // [N, C, H, W], [N, T, D] or [N, D]: the ranks layernorm and
  // channel_scale take.
  auto needImageOrVector = [&]() {
    if (layerNormAxis(int64_t(in.size())) >= 0)
      return true;
    error(call.loc, what + " needs [N, C, H, W], [N, T, D] or [N, D], got " +
                        shapeText(x.getType()));
    return false;
  };
  if (what == "layernorm") {
    auto eps = args.real("eps", true);
    auto affine = args.boolean("affine");
    if (!eps || !affine || !needImageOrVector())
      return failure();
    const int64_t features = in[layerNormAxis(int64_t(in.size()))];
    if (!needChannels(features))
      return failure();
    Value w, bias;
    if (*affine) {
      w = param(b, call.loc, path + ".weight", {features});
      bias = w ? param(b, call.loc, path + ".bias", {features}) : Value();
      if (!bias)
        return failure();
    }
    flow.current = b.create<LayerNormOp>(at, x.getType(), x, w, bias,
                                         b.getF64FloatAttr(*eps), layer);
    return success();
  }
  if (what == "channel_scale") {
    auto init = args.real("init", false);
    if (!init)
      return failure();
    if (!std::isfinite(*init)) {
      error(args.locOf("init"), "channel_scale: 'init' must be finite, got " +
                                    std::to_string(*init));
      return failure();
    }
    if (!needImageOrVector() ||
        !needChannels(in[featureAxis(int64_t(in.size()))]))
      return failure();
    // The scale is named by the statement itself, as PyTorch's layer scale
    // parameters (`gamma`, `layer_scale`) have no `.weight`.
    std::vector<int64_t> shape = channelScaleShape({in.begin(), in.end()});
    Value s = param(b, call.loc, path, shape);
    if (!s)
      return failure();
    flow.current = b.create<ChannelScaleOp>(at, x.getType(), x, s,
                                            b.getF64FloatAttr(*init), layer);
    return success();
  }
  if (what == "softmax") {
    flow.current = b.create<SoftmaxOp>(at, x.getType(), x, layer);
    return success();
  }
  return emitTokenBuiltin(call, args, path, flow);
}

LogicalResult Elaborator::emitTokenBuiltin(const ast::Stmt &call,
                                           BuiltinArgs &args,
                                           const std::string &path,
                                           Flow &flow) {
  const std::string &what = call.callee;
  Value x = flow.current;
  auto in = dimsOf(x);
  OpBuilder &b = flow.builder;
  Location at = loc(call.loc);
  StringAttr layer = b.getStringAttr(path);
  if (what == "tokens") {
    if (in.size() != 4) {
      error(call.loc, "tokens needs an image [N, C, H, W] but the current "
                      "tensor is " +
                          shapeText(x.getType()));
      return failure();
    }
    int64_t t = in[2] < 0 || in[3] < 0 ? kDynamicDim : in[2] * in[3];
    if (t > (int64_t(1) << 31)) {
      error(call.loc,
            "tokens: " + std::to_string(t) + " tokens are more than 2^31");
      return failure();
    }
    flow.current =
        b.create<TokensOp>(at, tensorType({in[0], t, in[1]}), x, layer);
    return success();
  }
  // Every other statement here works on [N, T, D] with T and D known (the
  // parameters' shapes and the token index depend on them).
  if (in.size() != 3) {
    error(call.loc, what +
                        " needs tokens [N, T, D] but the current tensor "
                        "is " +
                        shapeText(x.getType()) +
                        (in.size() == 4 ? "; use 'tokens' first to make "
                                          "[N, H*W, C] tokens of it"
                                        : ""));
    return failure();
  }
  if (in[1] < 0 || in[2] < 0) {
    error(call.loc, what +
                        " needs a known number of tokens and features, "
                        "but the current tensor is " +
                        shapeText(x.getType()));
    return failure();
  }
  const int64_t t = in[1], d = in[2];
  if (what == "class_token") {
    // Named by the statement itself: torchvision's `class_token`.
    Value token = param(b, call.loc, path, {1, 1, d});
    if (!token)
      return failure();
    flow.current = b.create<ClassTokenOp>(at, tensorType({in[0], t + 1, d}), x,
                                          token, layer);
    return success();
  }
  if (what == "pos_embedding") {
    Value e = param(b, call.loc, path, {1, t, d});
    if (!e)
      return failure();
    flow.current = b.create<PosEmbeddingOp>(at, x.getType(), x, e, layer);
    return success();
  }
  if (what == "token") {
    auto index = args.integer("index", 0);
    if (!index)
      return failure();
    if (*index >= t) {
      error(args.locOf("index"), "token(" + std::to_string(*index) +
                                     ") is out of range: the "
                                     "current tensor " +
                                     shapeText(x.getType()) + " has " +
                                     std::to_string(t) + " tokens (0 to " +
                                     std::to_string(t - 1) + ")");
      return failure();
    }
    flow.current = b.create<TokenOp>(at, tensorType({in[0], d}), x,
                                     b.getI64IntegerAttr(*index), layer);
    return success();
  }
  if (what == "attention") {
    auto heads = args.integer("heads", 1);
    auto bias = args.boolean("bias");
    if (!heads || !bias)
      return failure();
    if (d % *heads != 0) {
      error(args.locOf("heads"), std::to_string(d) +
                                     " features are not divisible by " +
                                     std::to_string(*heads) + " heads");
      return failure();
    }
    // nn.MultiheadAttention's state_dict keys.
    Value inW = param(b, call.loc, path + ".in_proj_weight", {3 * d, d});
    Value inB = *bias && inW
                    ? param(b, call.loc, path + ".in_proj_bias", {3 * d})
                    : Value();
    Value outW = param(b, call.loc, path + ".out_proj.weight", {d, d});
    Value outB = *bias && outW
                     ? param(b, call.loc, path + ".out_proj.bias", {d})
                     : Value();
    if (!inW || !outW || (*bias && (!inB || !outB)))
      return failure();
    flow.current =
        b.create<AttentionOp>(at, x.getType(), x, inW, inB, outW, outB,
                              b.getI64IntegerAttr(*heads), layer);
    return success();
  }
  error(call.loc, "internal error: built-in '" + what + "' has no emitter");
  return failure();
}

LogicalResult Elaborator::saveOrCombine(const ast::Stmt &stmt, Scope &scope,
                                        Flow &flow) {
  if (stmt.kind == ast::Stmt::Kind::Save) {
    flow.saved[stmt.name] = flow.current;
    return success();
  }
  auto it = flow.saved.find(stmt.name);
  if (it == flow.saved.end()) {
    std::string names;
    for (auto &[name, _] : flow.saved)
      names += (names.empty() ? "" : ", ") + name;
    error(stmt.nameLoc, "no tensor was saved as '" + stmt.name +
                            "' before this point" +
                            (names.empty() ? std::string(" in this body")
                                           : " (saved: " + names + ")"));
    return failure();
  }
  if (!countOp(stmt.loc))
    return failure();
  bool isAdd = stmt.kind == ast::Stmt::Kind::Add;
  auto name = claimName(stmt, isAdd ? "add" : "concat", scope);
  if (!name)
    return failure();
  Value saved = it->second;
  auto a = dimsOf(flow.current), s = dimsOf(saved);
  StringAttr layer = flow.builder.getStringAttr(scope.path(*name));
  Location at = loc(stmt.loc);
  if (isAdd) {
    // Channels may differ when the saved tensor has fewer and the statement
    // says `pad`: it is added to the first channels, as if padded with zeros
    // (ResNet's "option A" shortcut; examples/unet_small.res adds 16
    // channels to 32 this way; docs/language.md, "Long skips"). Without
    // `pad` that is an error: it is more often a mistake than a design.
    bool sameRank = a.size() == s.size();
    // Tokens [N, T, D] have no channels to pad: their shapes must match.
    bool fewerChannels = sameRank && a.size() >= 2 && a.size() != 3 &&
                         a[1] >= 0 && s[1] >= 0 && s[1] < a[1];
    bool othersMatch = sameRank;
    for (size_t i = 0; othersMatch && i < a.size(); ++i)
      if (i != 1 && a[i] != s[i])
        othersMatch = false;
    if (!othersMatch || (a[1] != s[1] && !fewerChannels)) {
      std::string why = a.size() == 3 && s.size() == 3
                            ? " (tokens " + std::to_string(a[1]) + " vs " +
                                  std::to_string(s[1]) + " and features " +
                                  std::to_string(a[2]) + " vs " +
                                  std::to_string(s[2]) + ": they must match)"
                        : othersMatch
                            ? " (channels " + std::to_string(a[1]) + " vs " +
                                  std::to_string(s[1]) +
                                  "; the saved tensor may have fewer channels, "
                                  "not more)"
                            : "";
      error(stmt.loc, "cannot add '" + stmt.name + "' of shape " +
                          shapeText(saved.getType()) +
                          " to the current tensor of shape " +
                          shapeText(flow.current.getType()) + why);
      return failure();
    }
    if (fewerChannels && !stmt.pad) {
      error(
          stmt.loc,
          "cannot add '" + stmt.name + "' of shape " +
              shapeText(saved.getType()) + " to the current tensor of shape " +
              shapeText(flow.current.getType()) + ": it has " +
              std::to_string(s[1]) + " channels, not " + std::to_string(a[1]) +
              "; write 'add " + stmt.name + " pad' to add it to the first " +
              std::to_string(s[1]) + " channels, as if padded with zeros");
      return failure();
    }
    flow.current = flow.builder.create<AddOp>(at, flow.current.getType(),
                                              flow.current, saved, layer);
    return success();
  }
  bool compatible = a.size() == s.size() && a.size() >= 2 && a.size() != 3;
  for (size_t i = 0; compatible && i < a.size(); ++i)
    if (i != 1 && a[i] != s[i])
      compatible = false;
  if (!compatible || a[1] < 0 || s[1] < 0) {
    error(stmt.loc,
          "cannot concatenate '" + stmt.name + "' of shape " +
              shapeText(saved.getType()) + " to the current tensor of shape " +
              shapeText(flow.current.getType()) +
              (a.size() == 3 ? ": concat joins the channels of images [N, C, "
                               "H, W] or the features of vectors [N, D], not "
                               "tokens"
                             : " on channels: all other dimensions must "
                               "match"));
    return failure();
  }
  auto out = a;
  // Repeated concatenation doubles the channels: bound them like any dim.
  out[1] = a[1] + s[1];
  if (out[1] > (int64_t(1) << 31)) {
    error(stmt.loc, "concatenating '" + stmt.name + "' would give " +
                        std::to_string(out[1]) + " channels, more than 2^31");
    return failure();
  }
  flow.current = flow.builder.create<ConcatOp>(at, tensorType(out),
                                               flow.current, saved, layer);
  return success();
}

} // namespace res
