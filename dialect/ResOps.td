#ifndef RES_OPS_TD
#define RES_OPS_TD

include "dialect/ResBase.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"

class Res_Op<string mnemonic, list<Trait> traits = []>
    : Op<Res_Dialect, mnemonic, traits>;

// Every compute op may carry `layer`, the dotted path of the statement that
// produced it (`layer1.0.conv1`), so tools can name what they report on.
defvar LayerAttr = (ins OptionalAttr<StrAttr>:$layer);

//===----------------------------------------------------------------------===//
// Parameters
//===----------------------------------------------------------------------===//

def Res_ParamOp : Res_Op<"param", [Symbol]> {
  let summary = "a named parameter tensor, bound or supplied at run time";
  let description = [{
    Declares the parameter tensor `sym_name` (its PyTorch `state_dict` key).
    With `value` the parameter is bound at compile time; without it, it is
    supplied when the model runs. `buffer` marks tensors that are not trained
    (BatchNorm running statistics), as PyTorch's buffers.

    ```mlir
    res.param @conv1.weight : tensor<16x3x3x3xf32>
    res.param @bn1.running_mean : tensor<16xf32> {buffer}
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name,
                       TypeAttrOf<F32AnyTensor>:$type,
                       OptionalAttr<ElementsAttr>:$value,
                       UnitAttr:$buffer);
  let assemblyFormat = "$sym_name `:` $type (`=` $value^)? attr-dict";
  let hasVerifier = 1;
}

def Res_WeightOp : Res_Op<"weight",
    [Pure, DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "reads a parameter declared by `res.param`";
  let arguments = (ins FlatSymbolRefAttr:$param);
  let results = (outs F32AnyTensor:$result);
  let assemblyFormat = "$param attr-dict `:` type($result)";
}

//===----------------------------------------------------------------------===//
// Layers
//===----------------------------------------------------------------------===//

def Res_Conv2DOp : Res_Op<"conv2d", [Pure]> {
  let summary = "2-D convolution, NCHW, weight [out, in/groups, kh, kw]";
  let arguments = !con((ins F32Tensor4:$input, F32Tensor4:$weight,
                            Optional<F32Tensor1>:$bias,
                            DenseI64ArrayAttr:$stride,
                            DenseI64ArrayAttr:$padding,
                            DenseI64ArrayAttr:$dilation,
                            I64Attr:$groups), LayerAttr);
  let results = (outs F32Tensor4:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Res_BatchNormOp : Res_Op<"batch_norm", [Pure]> {
  let summary = "batch normalisation over channels (dimension 1)";
  let description = [{
    Inference mode uses the running statistics:
    y = (x - mean) / sqrt(var + epsilon) * weight + bias.
  }];
  let arguments = !con((ins F32AnyTensor:$input, F32Tensor1:$weight,
                            F32Tensor1:$bias, F32Tensor1:$running_mean,
                            F32Tensor1:$running_var,
                            F64Attr:$epsilon, F64Attr:$momentum), LayerAttr);
  let results = (outs F32AnyTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight `,` $bias `,` $running_mean `,` $running_var attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Res_ActivationOp : Res_Op<"activation", [Pure, SameOperandsAndResultType]> {
  let summary = "element-wise activation (identity, relu, gelu, sigmoid, "
                "tanh, relu6, hardsigmoid, hardswish, silu)";
  let arguments = !con((ins Res_ActivationAttr:$kind, F32AnyTensor:$input),
                       LayerAttr);
  let results = (outs F32AnyTensor:$result);
  let assemblyFormat = "$kind $input attr-dict `:` type($input)";
}

class Res_Pool2DOp<string mnemonic, string what> : Res_Op<mnemonic, [Pure]> {
  let summary = what # " pooling over H and W";
  let arguments = !con((ins F32Tensor4:$input,
                            DenseI64ArrayAttr:$kernel,
                            DenseI64ArrayAttr:$stride,
                            DenseI64ArrayAttr:$padding), LayerAttr);
  let results = (outs F32Tensor4:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Res_MaxPool2DOp : Res_Pool2DOp<"max_pool2d", "max">;
// Padding counts as zeros in the average, as PyTorch's default
// count_include_pad=True does.
def Res_AvgPool2DOp : Res_Pool2DOp<"avg_pool2d", "average">;

def Res_GlobalAvgPoolOp : Res_Op<"global_avg_pool", [Pure]> {
  let summary = "mean over H and W: [N, C, H, W] to [N, C]";
  let arguments = !con((ins F32Tensor4:$input), LayerAttr);
  let results = (outs F32Tensor2:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Res_ChannelMulOp : Res_Op<"channel_mul",
    [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "x * g, g per (sample, channel) broadcast over H and W";
  let description = [{
    The multiply of a `gate { ... }` (squeeze-and-excitation): `input` is
    [N, C, H, W] and `gate` [N, C] or [N, C, 1, 1], as PyTorch's
    `x * scale` broadcasts it.
  }];
  let arguments = !con((ins F32Tensor4:$input, F32AnyTensor:$gate),
                       LayerAttr);
  let results = (outs F32Tensor4:$result);
  let assemblyFormat = [{
    $input `,` $gate attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Res_LayerNormOp : Res_Op<"layer_norm",
    [Pure, AttrSizedOperandSegments, AllTypesMatch<["input", "result"]>]> {
  let summary = "layer normalisation of each position over its features";
  let description = [{
    Normalises over C for [N, C, H, W] (torchvision's LayerNorm2d: PyTorch's
    layer_norm of the channels-last tensor) and over D for [N, D]
    and over D for [N, D] and [N, T, D] (nn.LayerNorm):
    y = (x - mean) / sqrt(var + epsilon) * weight + bias,
    with the biased variance of the normalised dimension. `weight` and
    `bias` are both present (elementwise affine) or both absent. The
    normalised dimension is `layerNormAxis(rank)` (ShapeRules.h): dim 1 of
    rank 4, the last dim otherwise.
  }];
  let arguments = !con((ins F32AnyTensor:$input, Optional<F32Tensor1>:$weight,
                            Optional<F32Tensor1>:$bias, F64Attr:$epsilon),
                       LayerAttr);
  let results = (outs F32AnyTensor:$result);
  let assemblyFormat = [{
    $input (`,` $weight^ `,` $bias)? attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Res_ChannelScaleOp : Res_Op<"channel_scale",
    [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "x * s, s a learned scale per channel (layer scale)";
  let description = [{
    ConvNeXt's layer scale: `scale` is [C, 1, 1] for an input [N, C, H, W]
    and [D] for [N, D] and [N, T, D], so that `x * scale` broadcasts as in PyTorch.
    `init` is the value `resc init-weights` gives the scale.
  }];
  let arguments = !con((ins F32AnyTensor:$input, F32AnyTensor:$scale,
                            F64Attr:$init), LayerAttr);
  let results = (outs F32AnyTensor:$result);
  let assemblyFormat = [{
    $input `,` $scale attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Res_FlattenOp : Res_Op<"flatten", [Pure]> {
  let summary = "[N, C, H, W] to [N, C*H*W]";
  let arguments = !con((ins F32AnyTensor:$input), LayerAttr);
  let results = (outs F32Tensor2:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Res_DenseOp : Res_Op<"dense", [Pure]> {
  let summary = "fully connected on the features, weight [out, in]";
  let description = [{
    The features are the last dimension of [N, D] and of [N, T, D] (the
    layer applies to each token) and dim 1 of [N, C, H, W], where the layer
    applies to each pixel (a 1x1 convolution with a `Linear`'s weight, as
    ConvNeXt's blocks use it): `featureAxis(rank)` (ShapeRules.h).
  }];
  let arguments = !con((ins F32AnyTensor:$input, F32Tensor2:$weight,
                            Optional<F32Tensor1>:$bias), LayerAttr);
  let results = (outs F32AnyTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Res_UpsampleOp : Res_Op<"upsample", [Pure]> {
  let summary = "nearest-neighbour upsampling of H and W by an integer factor";
  let arguments = !con((ins F32Tensor4:$input, I64Attr:$factor), LayerAttr);
  let results = (outs F32Tensor4:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Res_AddOp : Res_Op<"add", [Pure, AllTypesMatch<["lhs", "result"]>]> {
  let summary = "element-wise sum (the DSL's `add NAME`)";
  let description = [{
    `rhs` must have the shape of `lhs`, except that it may have fewer
    channels (dimension 1): it is then added to the first channels only, as
    if padded with zero channels (ResNet's parameter-free "option A"
    shortcut). The result has the type of `lhs`.
  }];
  let arguments = !con((ins F32AnyTensor:$lhs, F32AnyTensor:$rhs), LayerAttr);
  let results = (outs F32AnyTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs)";
  let hasVerifier = 1;
}

def Res_ConcatOp : Res_Op<"concat", [Pure]> {
  let summary = "concatenation on channels (dimension 1)";
  let arguments = !con((ins F32AnyTensor:$lhs, F32AnyTensor:$rhs), LayerAttr);
  let results = (outs F32AnyTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Res_SoftmaxOp : Res_Op<"softmax", [Pure, SameOperandsAndResultType]> {
  let summary = "softmax over the last dimension";
  let arguments = !con((ins F32AnyTensor:$input), LayerAttr);
  let results = (outs F32AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

//===----------------------------------------------------------------------===//
// Tokens: [N, T, D] tensors of T tokens of D features (Transformers)
//===----------------------------------------------------------------------===//

def Res_TokensOp : Res_Op<"tokens", [Pure]> {
  let summary = "[N, C, H, W] to the token tensor [N, H*W, C]";
  let description = [{
    PyTorch's `x.flatten(2).transpose(1, 2)`: token `h * W + w` holds the C
    features of pixel (h, w).
  }];
  let arguments = !con((ins F32Tensor4:$input), LayerAttr);
  let results = (outs F32Tensor3:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Res_ClassTokenOp : Res_Op<"class_token", [Pure]> {
  let summary = "prepends one learned token: [N, T, D] to [N, T + 1, D]";
  let description = [{
    `token` is [1, 1, D], broadcast over the batch as a Vision Transformer's
    `class_token.expand(n, -1, -1)` concatenated before the tokens.
  }];
  let arguments = !con((ins F32Tensor3:$input, F32Tensor3:$token), LayerAttr);
  let results = (outs F32Tensor3:$result);
  let assemblyFormat = [{
    $input `,` $token attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Res_PosEmbeddingOp : Res_Op<"pos_embedding",
    [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "x + e, e a learned [1, T, D] embedding of the positions";
  let arguments = !con((ins F32Tensor3:$input, F32Tensor3:$embedding),
                       LayerAttr);
  let results = (outs F32Tensor3:$result);
  let assemblyFormat = [{
    $input `,` $embedding attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Res_TokenOp : Res_Op<"token", [Pure]> {
  let summary = "selects one token: [N, T, D] to [N, D]";
  let arguments = !con((ins F32Tensor3:$input, I64Attr:$index), LayerAttr);
  let results = (outs F32Tensor2:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Res_AttentionOp : Res_Op<"attention",
    [Pure, AttrSizedOperandSegments, AllTypesMatch<["input", "result"]>]> {
  let summary = "multi-head self-attention over the tokens of [N, T, D]";
  let description = [{
    `nn.MultiheadAttention(D, heads, batch_first=True)` called with query =
    key = value = x, no mask, no dropout: q, k, v = split(x W_in^T + b_in),
    each head h (D / heads features) computes softmax(q_h k_h^T / sqrt(D /
    heads)) v_h, and the heads, concatenated, go through the output
    projection. `in_weight` is [3D, D] (`in_proj_weight`), `out_weight`
    [D, D] (`out_proj.weight`); the biases are both present or both absent.
  }];
  let arguments = !con((ins F32Tensor3:$input, F32Tensor2:$in_weight,
                            Optional<F32Tensor1>:$in_bias,
                            F32Tensor2:$out_weight,
                            Optional<F32Tensor1>:$out_bias, I64Attr:$heads),
                       LayerAttr);
  let results = (outs F32Tensor3:$result);
  let assemblyFormat = [{
    $input `,` `in` `(` $in_weight (`,` $in_bias^)? `)` `,`
    `out` `(` $out_weight (`,` $out_bias^)? `)`
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Replaces this op by its parts: the input projection (res.dense to
    /// [N, T, 3D]), res.attention_heads and the output projection
    /// (res.dense), labelled `<layer>.in_proj`, `.heads`, `.out_proj`.
    /// Returns the output projection's result. The compiler computes
    /// attention this way; gradients follow the parts.
    mlir::Value split();
    /// Splits every res.attention under `root`.
    static void splitAll(mlir::Operation *root);
  }];
}

//===----------------------------------------------------------------------===//
// Ops made by the passes
//===----------------------------------------------------------------------===//

def Res_AttentionHeadsOp : Res_Op<"attention_heads", [Pure]> {
  let summary = "the heads of self-attention: [N, T, 3D] q, k, v to [N, T, D]";
  let description = [{
    The part of `res.attention` between its two projections, which the
    Halide lowering computes as dense layers: `input` holds q, k and v of
    every token side by side (the input projection's result); each head h
    of D / heads features gives softmax(q_h k_h^T / sqrt(D / heads)) v_h,
    and the heads are concatenated.
  }];
  let arguments = !con((ins F32Tensor3:$input, I64Attr:$heads), LayerAttr);
  let results = (outs F32Tensor3:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Res_FusedConv2DOp : Res_Op<"fused_conv2d",
    [Pure, AttrSizedOperandSegments]> {
  let summary = "y = act(conv_scale * (conv(x, w) + b) + residual_scale * r)";
  let description = [{
    A convolution with its epilogue: the bias, a scaled residual input and
    an activation, made by `res-fuse-skip-add` from a residual block whose
    branch ends in a convolution, or from a convolution followed by an `add`
    and/or an activation. The code generator computes it as one kernel, so
    the sum is never stored and read back. `residual` has the result's shape
    or fewer channels, then added to the first channels only (as `res.add`).
    Attributes are those of `res.conv2d`.

    ```mlir
    %y = res.fused_conv2d %h, %w bias %b residual %x act relu
        {dilation = array<i64: 1, 1>, groups = 1 : i64,
         padding = array<i64: 1, 1>, stride = array<i64: 1, 1>}
        : (tensor<?x16x32x32xf32>, tensor<16x16x3x3xf32>, tensor<16xf32>,
           tensor<?x16x32x32xf32>) -> tensor<?x16x32x32xf32>
    ```
  }];
  let arguments = !con((ins F32Tensor4:$input, F32Tensor4:$weight,
                            Optional<F32Tensor1>:$bias,
                            Optional<F32Tensor4>:$residual,
                            DenseI64ArrayAttr:$stride,
                            DenseI64ArrayAttr:$padding,
                            DenseI64ArrayAttr:$dilation,
                            I64Attr:$groups,
                            DefaultValuedAttr<F64Attr, "1.0">:$conv_scale,
                            DefaultValuedAttr<F64Attr, "1.0">:$residual_scale,
                            OptionalAttr<Res_ActivationAttr>:$activation),
                       LayerAttr);
  let results = (outs F32Tensor4:$result);
  let assemblyFormat = [{
    $input `,` $weight (`bias` $bias^)? (`residual` $residual^)?
    (`act` $activation^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Res_FoldBatchNormParamsOp : Res_Op<"fold_bn_params", [Pure]> {
  let summary = "the weight and bias of a layer with the batch norm after it "
                "folded in";
  let description = [{
    A parameter-preparation step made by `res-fold-bn` for parameters that
    are supplied at run time: with s = gamma / sqrt(var + epsilon) per
    output channel o, returns W[o] * s[o] and (b[o] - mean[o]) * s[o] + beta[o]
    (b = 0 when `bias` is absent). Its operands are parameters only, so the
    code generator computes it once when the parameters are bound, not on
    every run.

    ```mlir
    %fw, %fb = res.fold_bn_params %w, %g, %beta, %mean, %var {epsilon = 1.0e-05}
        : (tensor<16x3x3x3xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>,
           tensor<16xf32>) -> (tensor<16x3x3x3xf32>, tensor<16xf32>)
    ```
  }];
  let arguments = (ins F32AnyTensor:$weight, F32Tensor1:$gamma,
                       F32Tensor1:$beta, F32Tensor1:$mean, F32Tensor1:$var,
                       Optional<F32Tensor1>:$bias, F64Attr:$epsilon);
  let results = (outs F32AnyTensor:$folded_weight, F32Tensor1:$folded_bias);
  let assemblyFormat = [{
    $weight `,` $gamma `,` $beta `,` $mean `,` $var (`bias` $bias^)? attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Structure
//===----------------------------------------------------------------------===//

def Res_ResidualOp : Res_Op<"residual", [IsolatedFromAbove,
    SingleBlock]> {
  let summary = "y = after(output_scale * (S(x) + branch_scale * F(x)))";
  let description = [{
    `branch` computes F and `shortcut` computes S; an empty shortcut region is
    the identity. Both regions take x as their one block argument and end in
    `res.yield`. `after` is the post-activation; without it the block is a
    pre-activation block.

    ```mlir
    %y = res.residual %x after relu {layer = "layer1.0"}
        : tensor<?x16x32x32xf32> -> tensor<?x16x32x32xf32> branch {
    ^bb0(%a: tensor<?x16x32x32xf32>):
      ...
      res.yield %f : tensor<?x16x32x32xf32>
    }
    ```
  }];
  let arguments = !con((ins F32AnyTensor:$input,
                            DefaultValuedAttr<F64Attr, "1.0">:$branch_scale,
                            DefaultValuedAttr<F64Attr, "1.0">:$output_scale,
                            OptionalAttr<Res_ActivationAttr>:$after), LayerAttr);
  let results = (outs F32AnyTensor:$result);
  let regions = (region SizedRegion<1>:$branch, AnyRegion:$shortcut);
  let assemblyFormat = [{
    $input (`after` $after^)? attr-dict `:` type($input) `->` type($result)
    `branch` $branch (`shortcut` $shortcut^)?
  }];
  let hasVerifier = 1;
  let skipDefaultBuilders = 1;
  let builders = [
    OpBuilder<(ins "::mlir::Type":$resultType, "::mlir::Value":$input)>
  ];
  let extraClassDeclaration = [{
    bool hasIdentityShortcut() { return getShortcut().empty(); }
  }];
}

def Res_RepeatOp : Res_Op<"repeat", [IsolatedFromAbove,
    SingleBlock, AllTypesMatch<["input", "result"]>]> {
  let summary = "a weight-tied repeat: the body applied `count` times";
  let description = [{
    The body takes the current tensor as its block argument and yields the
    next one, of the same type; its parameters are shared by every
    iteration, so the op stays one op whatever the count.
  }];
  let arguments = !con((ins F32AnyTensor:$input, I64Attr:$count), LayerAttr);
  let results = (outs F32AnyTensor:$result);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "$input attr-dict `:` type($input) `body` $body";
  let hasVerifier = 1;
  let skipDefaultBuilders = 1;
  let builders = [
    OpBuilder<(ins "::mlir::Value":$input, "int64_t":$count)>
  ];
}

def Res_YieldOp : Res_Op<"yield", [Pure, Terminator, ReturnLike,
    ParentOneOf<["ResidualOp", "RepeatOp"]>]> {
  let summary = "ends a residual branch, shortcut or repeat body";
  let arguments = (ins F32AnyTensor:$value);
  let assemblyFormat = "$value attr-dict `:` type($value)";
}

include "dialect/ResGradOps.td"

#endif // RES_OPS_TD
