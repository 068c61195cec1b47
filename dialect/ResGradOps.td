#ifndef RES_GRAD_OPS_TD
#define RES_GRAD_OPS_TD

// The ops of training: the batch statistics of training-mode batch norm and
// the vector-Jacobian products that `res-generate-gradients` emits. Each has
// one result, so the code generator's plan handles them as it handles the
// forward ops. "Channel" is dimension 1 and a channel reduction runs over
// every other dimension. Ops whose result shape cannot be derived from their
// operands (a strided convolution's input size) take it from the result type.
// Included by ResOps.td, whose Res_Op, LayerAttr and tensor types they use.

//===----------------------------------------------------------------------===//
// Training-mode batch norm
//===----------------------------------------------------------------------===//

def Res_ChannelMeanOp : Res_Op<"channel_mean", [Pure]> {
  let summary = "per-channel mean over every dimension but 1";
  let arguments = !con((ins F32AnyTensor:$input), LayerAttr);
  let results = (outs F32Tensor1:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Res_ChannelVarOp : Res_Op<"channel_var", [Pure]> {
  let summary = "per-channel variance around `mean`";
  let description = [{
    sum((x - mean[c])^2) / n, or / (n - 1) with `unbiased`, where n is the
    number of elements per channel. Training-mode batch norm normalises with
    the biased variance and keeps the unbiased one in its running variance,
    as PyTorch does; n < 2 is a run-time error, as in PyTorch.
  }];
  let arguments = !con((ins F32AnyTensor:$input, F32Tensor1:$mean,
                            UnitAttr:$unbiased), LayerAttr);
  let results = (outs F32Tensor1:$result);
  let assemblyFormat = [{
    $input `,` $mean attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Res_LerpOp : Res_Op<"lerp",
    [Pure, AllTypesMatch<["running", "batch", "result"]>]> {
  let summary = "(1 - momentum) * running + momentum * batch: the update of "
                "a running statistic";
  let arguments = !con((ins F32AnyTensor:$running, F32AnyTensor:$batch,
                            F64Attr:$momentum), LayerAttr);
  let results = (outs F32AnyTensor:$result);
  let assemblyFormat = "$running `,` $batch attr-dict `:` type($result)";
}

//===----------------------------------------------------------------------===//
// Vector-Jacobian products
//===----------------------------------------------------------------------===//

def Res_BatchNormGradOp : Res_Op<"batch_norm_grad", [Pure]> {
  let summary = "gradient of the input of a training-mode batch norm";
  let description = [{
    With r = 1 / sqrt(var + epsilon) and xhat = (x - mean) * r, per channel
    over its n elements: dx = gamma * r / n * (n * dy - sum(dy)
    - xhat * sum(dy * xhat)). `mean` and `var` are the biased batch
    statistics the forward pass normalised with; the terms with the sums are
    the gradient through those statistics.
  }];
  let arguments = !con((ins F32AnyTensor:$grad, F32AnyTensor:$input,
                            F32Tensor1:$gamma, F32Tensor1:$mean,
                            F32Tensor1:$var, F64Attr:$epsilon), LayerAttr);
  let results = (outs F32AnyTensor:$result);
  let assemblyFormat = [{
    $grad `,` $input `,` $gamma `,` $mean `,` $var attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Res_BatchNormGradGammaOp : Res_Op<"batch_norm_grad_gamma", [Pure]> {
  let summary = "gradient of a batch norm's weight: sum of dy * xhat per channel";
  let arguments = !con((ins F32AnyTensor:$grad, F32AnyTensor:$input,
                            F32Tensor1:$mean, F32Tensor1:$var,
                            F64Attr:$epsilon), LayerAttr);
  let results = (outs F32Tensor1:$result);
  let assemblyFormat = [{
    $grad `,` $input `,` $mean `,` $var attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Res_ChannelSumOp : Res_Op<"channel_sum", [Pure]> {
  let summary = "per-channel sum over every dimension but 1 (bias gradients)";
  let arguments = !con((ins F32AnyTensor:$input), LayerAttr);
  let results = (outs F32Tensor1:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

class Res_ConvGradOp<string mnemonic, string what, string first,
                     string second> : Res_Op<mnemonic, [Pure]> {
  let summary = what;
  let arguments = !con((ins F32Tensor4:$lhs, F32Tensor4:$rhs,
                            DenseI64ArrayAttr:$stride,
                            DenseI64ArrayAttr:$padding,
                            DenseI64ArrayAttr:$dilation,
                            I64Attr:$groups), LayerAttr);
  let results = (outs F32Tensor4:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = "::mlir::Value get" # first # "() { return getLhs(); }\n"
                            # "::mlir::Value get" # second # "() { return getRhs(); }";
}

def Res_Conv2DGradInputOp : Res_ConvGradOp<"conv2d_grad_input",
    "gradient of a convolution's input: a transposed convolution of dy "
    "(lhs) with the weight (rhs)", "Grad", "Weight"> {
  let description = [{
    dx[n, g*Cg + c, ih, iw] = sum of dy[n, o, oh, ow] * w[o, c, kh, kw] over
    the output channels o of group g and the taps with
    ih = oh * stride - padding + kh * dilation (and likewise for iw). The
    input's spatial size comes from the result type: with a stride it is not
    determined by dy. Attributes are those of the forward `res.conv2d`.
  }];
}

def Res_Conv2DGradWeightOp : Res_ConvGradOp<"conv2d_grad_weight",
    "gradient of a convolution's weight: a correlation of the input (lhs) "
    "and dy (rhs), summed over the batch", "Input", "Grad"> {
  let description = [{
    dw[o, c, kh, kw] = sum over n, oh, ow of dy[n, o, oh, ow] *
    x[n, g*Cg + c, oh * stride - padding + kh * dilation, ...], zero outside
    x, with g the group of o. The weight shape comes from the result type.
  }];
}

def Res_DenseGradInputOp : Res_Op<"dense_grad_input", [Pure]> {
  let summary = "dx = dy · W for a dense layer with weight W [out, in]";
  let description = [{
    Over the features, as `res.dense`: [N, out] to [N, in], and per pixel
    [N, out, H, W] to [N, in, H, W].
  }];
  let arguments = !con((ins F32AnyTensor:$grad, F32Tensor2:$weight),
                       LayerAttr);
  let results = (outs F32AnyTensor:$result);
  let assemblyFormat = [{
    $grad `,` $weight attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Res_DenseGradWeightOp : Res_Op<"dense_grad_weight", [Pure]> {
  let summary = "dW = dyᵀ · x, summed over the batch (and pixels)";
  let arguments = !con((ins F32AnyTensor:$input, F32AnyTensor:$grad),
                       LayerAttr);
  let results = (outs F32Tensor2:$result);
  let assemblyFormat = [{
    $input `,` $grad attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Res_ActivationGradOp : Res_Op<"activation_grad",
    [Pure, AllTypesMatch<["grad", "input", "result"]>]> {
  let summary = "dy * act'(x), with x the activation's input";
  let description = [{
    relu' is 1 where x > 0 and 0 elsewhere (0 at 0, as PyTorch); GELU's is
    that of the exact erf form. At the kinks the others follow PyTorch's
    backward too: relu6' is 1 on (0, 6) only, hardsigmoid' 1/6 on (-3, 3)
    only, hardswish' x / 3 + 1/2 on [-3, 3] and 1 above.
  }];
  let arguments = !con((ins Res_ActivationAttr:$kind, F32AnyTensor:$grad,
                            F32AnyTensor:$input), LayerAttr);
  let results = (outs F32AnyTensor:$result);
  let assemblyFormat = "$kind $grad `,` $input attr-dict `:` type($result)";
}

def Res_MaxPool2DGradOp : Res_Op<"max_pool2d_grad", [Pure]> {
  let summary = "routes each output's gradient to the maximum of its window";
  let description = [{
    The maximum is the first one in row-major window order, as the forward
    pass finds it; gradients of overlapping windows add up. `input` is the
    forward input; the result has its shape.
  }];
  let arguments = !con((ins F32Tensor4:$grad, F32Tensor4:$input,
                            DenseI64ArrayAttr:$kernel,
                            DenseI64ArrayAttr:$stride,
                            DenseI64ArrayAttr:$padding), LayerAttr);
  let results = (outs F32Tensor4:$result);
  let assemblyFormat = [{
    $grad `,` $input attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Res_AvgPool2DGradOp : Res_Op<"avg_pool2d_grad", [Pure]> {
  let summary = "spreads each output's gradient / (kh * kw) over its window";
  let description = [{
    Padding counts in the divisor (count_include_pad=True) as in the forward
    op; the input's shape comes from the result type.
  }];
  let arguments = !con((ins F32Tensor4:$grad, DenseI64ArrayAttr:$kernel,
                            DenseI64ArrayAttr:$stride,
                            DenseI64ArrayAttr:$padding), LayerAttr);
  let results = (outs F32Tensor4:$result);
  let assemblyFormat = "$grad attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Res_GlobalAvgPoolGradOp : Res_Op<"global_avg_pool_grad", [Pure]> {
  let summary = "[N, C] to [N, C, H, W]: dy / (H * W) at every position";
  let arguments = !con((ins F32Tensor2:$grad), LayerAttr);
  let results = (outs F32Tensor4:$result);
  let assemblyFormat = "$grad attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Res_ChannelMulGradGateOp : Res_Op<"channel_mul_grad_gate", [Pure]> {
  let summary = "the gradient of a channel_mul's gate: sum over H, W of dy * x";
  let arguments = !con((ins F32Tensor4:$grad, F32Tensor4:$input), LayerAttr);
  let results = (outs F32AnyTensor:$result);
  let assemblyFormat = [{
    $grad `,` $input attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Res_LayerNormGradOp : Res_Op<"layer_norm_grad", [Pure]> {
  let summary = "gradient of the input of a layer norm";
  let description = [{
    Per position, over the d features it normalises (layerNormAxis), with
    r = 1 / sqrt(var + epsilon), xhat = (x - mean) * r and g = dy * weight
    (g = dy without `weight`): dx = r * (g - mean(g) - xhat * mean(g * xhat)).
    The statistics are recomputed from `input`.
  }];
  let arguments = !con((ins F32AnyTensor:$grad, F32AnyTensor:$input,
                            Optional<F32Tensor1>:$weight, F64Attr:$epsilon),
                       LayerAttr);
  let results = (outs F32AnyTensor:$result);
  let assemblyFormat = [{
    $grad `,` $input (`,` $weight^)? attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Res_LayerNormGradWeightOp : Res_Op<"layer_norm_grad_weight", [Pure]> {
  let summary = "gradient of a layer norm's weight: sum of dy * xhat over "
                "every position";
  let arguments = !con((ins F32AnyTensor:$grad, F32AnyTensor:$input,
                            F64Attr:$epsilon), LayerAttr);
  let results = (outs F32Tensor1:$result);
  let assemblyFormat = [{
    $grad `,` $input attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Res_ChannelScaleGradScaleOp : Res_Op<"channel_scale_grad_scale", [Pure]> {
  let summary = "gradient of a channel_scale's scale: sum of dy * x over "
                "every dimension but the channel's";
  let description = [{
    The result has the scale's shape: [C, 1, 1] for an input [N, C, H, W],
    [D] for [N, D].
  }];
  let arguments = !con((ins F32AnyTensor:$grad, F32AnyTensor:$input),
                       LayerAttr);
  let results = (outs F32AnyTensor:$result);
  let assemblyFormat = [{
    $grad `,` $input attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Res_ReshapeOp : Res_Op<"reshape", [Pure]> {
  let summary = "the same elements per sample in another shape (C order)";
  let arguments = !con((ins F32AnyTensor:$input), LayerAttr);
  let results = (outs F32AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Res_UpsampleGradOp : Res_Op<"upsample_grad", [Pure]> {
  let summary = "sum of each factor x factor block (gradient of upsample)";
  let arguments = !con((ins F32Tensor4:$grad, I64Attr:$factor), LayerAttr);
  let results = (outs F32Tensor4:$result);
  let assemblyFormat = "$grad attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Res_SliceChannelsOp : Res_Op<"slice_channels", [Pure]> {
  let summary = "channels [offset, offset + C) of the input, C from the result";
  let arguments = !con((ins F32AnyTensor:$input, I64Attr:$offset), LayerAttr);
  let results = (outs F32AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Res_ScaleOp : Res_Op<"scale", [Pure, SameOperandsAndResultType]> {
  let summary = "factor * x";
  let arguments = !con((ins F32AnyTensor:$input, F64Attr:$factor), LayerAttr);
  let results = (outs F32AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Res_SoftmaxGradOp : Res_Op<"softmax_grad",
    [Pure, AllTypesMatch<["grad", "output", "result"]>]> {
  let summary = "y * (dy - sum(dy * y)) over the last dimension, y the output";
  let arguments = !con((ins F32AnyTensor:$grad, F32AnyTensor:$output),
                       LayerAttr);
  let results = (outs F32AnyTensor:$result);
  let assemblyFormat = "$grad `,` $output attr-dict `:` type($result)";
}

//===----------------------------------------------------------------------===//
// Gradients of the token ops
//===----------------------------------------------------------------------===//

def Res_TokensGradOp : Res_Op<"tokens_grad", [Pure]> {
  let summary = "gradient of tokens: [N, H*W, C] back to the image [N, C, H, W]";
  let arguments = !con((ins F32Tensor3:$grad), LayerAttr);
  let results = (outs F32Tensor4:$result);
  let assemblyFormat = "$grad attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Res_ClassTokenGradOp : Res_Op<"class_token_grad", [Pure]> {
  let summary = "gradient of class_token's input: [N, T + 1, D] to [N, T, D]";
  let arguments = !con((ins F32Tensor3:$grad), LayerAttr);
  let results = (outs F32Tensor3:$result);
  let assemblyFormat = "$grad attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Res_TokenBatchSumOp : Res_Op<"token_batch_sum", [Pure]> {
  let summary = "sum over the batch of the first tokens: [N, T, D] to "
                "[1, K, D]";
  let description = [{
    The gradient of a learned token tensor broadcast over the batch: the
    class token's (K = 1, the first token of the gradient) and the position
    embedding's (K = T).
  }];
  let arguments = !con((ins F32Tensor3:$grad), LayerAttr);
  let results = (outs F32Tensor3:$result);
  let assemblyFormat = "$grad attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Res_TokenGradOp : Res_Op<"token_grad", [Pure]> {
  let summary = "gradient of token(index): [N, D] into token `index` of "
                "zeros [N, T, D]";
  let arguments = !con((ins F32Tensor2:$grad, I64Attr:$index), LayerAttr);
  let results = (outs F32Tensor3:$result);
  let assemblyFormat = "$grad attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Res_AttentionHeadsGradOp : Res_Op<"attention_heads_grad", [Pure]> {
  let summary = "gradient of attention_heads with respect to q, k and v";
  let description = [{
    `grad` [N, T, D] is the gradient of the heads' result, `input` [N, T, 3D]
    their q, k and v; the result has the input's shape. The attention
    probabilities are recomputed from q and k.
  }];
  let arguments = !con((ins F32Tensor3:$grad, F32Tensor3:$input,
                            I64Attr:$heads), LayerAttr);
  let results = (outs F32Tensor3:$result);
  let assemblyFormat = [{
    $grad `,` $input attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

#endif // RES_GRAD_OPS_TD
