// The passes of resc over the res dialect. Each is defined in its own .cpp of
// this folder; docs/passes.md shows each with a before/after example.
#ifndef RES_PASSES_TD
#define RES_PASSES_TD

include "mlir/Pass/PassBase.td"

// The passes run on the module because they read, create or erase the
// module-level `res.param` symbols that hold the weights.

def FoldBatchNorm : Pass<"res-fold-bn", "::mlir::ModuleOp"> {
  let summary = "Fold inference-mode batch norms into the adjacent "
                "convolution or dense layer";
  let description = [{
    A `res.batch_norm` whose input is the result of a `res.conv2d` or
    `res.dense` that nothing else uses is folded into that layer: with
    s = weight / sqrt(running_var + epsilon), the layer's weight becomes
    W * s (per output channel) and its bias (b - running_mean) * s + bias,
    computed in double precision. A batch norm whose only user is the input
    of a convolution with zero padding (or of a dense layer) is folded
    forwards into it: the weight is scaled per input channel and the shift
    goes into the bias, which is exact because no padding mixes zeros into
    the normalised input. Folded parameters become new bound `res.param`s
    named after the layer's weight with the suffix `.bn_folded`; parameters
    that are no longer used are erased.

    When the layer's or the batch norm's parameters are supplied at run
    time, a batch norm after a layer is folded all the same, through a
    `res.fold_bn_params` op that computes the folded weight and bias from
    the parameters: a parameter-preparation step that the code generator
    runs once, when the parameters are bound.

    Every batch norm that is left alone gets a remark saying why: it comes
    before a layer whose parameters are supplied at run time, the layer's
    output has other users, an activation or padding stands in the way, or
    the op is marked `training`.
  }];
  let statistics = [
    Statistic<"numFolded", "folded", "batch norms folded into the layer before them">,
    Statistic<"numFoldedForward", "folded-forward",
              "batch norms folded into the layer after them">,
    Statistic<"numFoldedAtRunTime", "folded-at-run-time",
              "batch norms folded by a res.fold_bn_params step">,
    Statistic<"numKept", "kept", "batch norms left alone">,
  ];
}

def FoldLayerNorm : Pass<"res-fold-layernorm", "::mlir::ModuleOp"> {
  let summary = "Fold a layer norm's elementwise affine into the layer "
                "after it";
  let description = [{
    A `res.layer_norm` with bound `weight` (gamma) and `bias` (beta) whose
    only user is the input of a `res.dense`, of a `res.conv2d` with a 1x1
    kernel, one group and no padding, or of a `res.attention` (its input
    projection) keeps only its normalisation: with n the normalised input,
    W (n * gamma + beta) + b = (W diag(gamma)) n + (W beta + b), so the
    layer's weight gets each input column j scaled by gamma_j and its bias
    W beta added, computed in double precision. A layer without a bias gets
    one (attention then also gets a zero output-projection bias, as the op
    has both biases or neither). The layers a Transformer puts after its
    norms (attention and the MLP's first dense layer) and ConvNeXt's
    pointwise convolution after its norm are all of this kind; what is
    saved is a multiply and an add per element of the normalised tensor,
    and the norm's parameters. Folded parameters are new bound `res.param`s
    named after the layer's weight and bias with the suffix `.ln_folded`;
    gradients cannot be generated from them (res-generate-gradients
    refuses them). Every layer norm with an affine that is left alone gets
    a remark saying why.
  }];
  let statistics = [
    Statistic<"numFolded", "folded",
              "layer norm affines folded into the layer after them">,
    Statistic<"numKept", "kept", "layer norms that keep their affine">,
  ];
}

def PruneIdentity : Pass<"res-prune-identity", "::mlir::ModuleOp"> {
  let summary = "Remove residual blocks whose branch is zero or provably small";
  let description = [{
    A `res.residual` whose branch is provably zero (branch_scale 0, or the
    branch ends in a batch norm with all-zero bound weight and bias as
    PyTorch's zero_init_residual leaves it, or in a layer with all-zero
    bound weight and bias) becomes its shortcut: the shortcut ops are
    inlined, followed by the `after` activation unless that is provably a
    no-op (relu on a value that is already non-negative). With a positive
    `threshold`, a branch that maps 0 to 0 and whose certified gain bound
    (see res-lipschitz) times |branch_scale| is at most the threshold is
    removed too; that changes the output by at most threshold * |x|. Each
    pruned block gets a remark with its name and the bound; blocks with an
    output_scale other than 1 are kept, with a remark: this pass does not
    apply the scale outside the block with a `res.scale` (that op exists,
    among the training ops, but only res-generate-gradients creates it).
  }];
  let options = [
    Option<"threshold", "threshold", "double", "0.0",
           "Also prune blocks whose branch gain bound times |branch_scale| "
           "is at most this (0: only exactly zero branches)">,
  ];
  let statistics = [
    Statistic<"numPruned", "pruned", "residual blocks removed">,
  ];
}

def FuseSkipAdd : Pass<"res-fuse-skip-add", "::mlir::ModuleOp"> {
  let summary = "Fuse skip additions and activations into the convolution "
                "that produces them";
  let description = [{
    A `res.residual` y = after(a * (S(x) + h * F(x))) whose branch F ends in
    a `res.conv2d` (after res-fold-bn, the usual case) becomes its branch and
    shortcut ops followed by one `res.fused_conv2d` that computes
    after(a*h * (conv + bias) + a * S(x)): the code generator emits it as one
    kernel whose epilogue adds the residual and applies the activation, so
    the sum never makes a round trip through memory. A flat `res.add` of a
    convolution's result and another tensor, and an activation on a
    convolution's result, are fused the same way. Only results with no
    other user are fused. Each block gets a remark saying into which
    convolution it was fused, or why it was not (its branch ends in a batch
    norm that could not be folded, in an activation as in pre-activation
    blocks, ...). Run it after the block-level passes: it flattens the
    blocks it fuses.
  }];
  let options = [
    Option<"fuseActivations", "fuse-activations", "bool", "true",
           "Also fuse an activation into the convolution before it">,
  ];
  let statistics = [
    Statistic<"numFusedBlocks", "fused-blocks",
              "residual blocks whose sum was fused into a convolution">,
    Statistic<"numFusedAdds", "fused-adds",
              "res.add ops fused into a convolution">,
    Statistic<"numFusedActivations", "fused-activations",
              "activations fused into a convolution">,
  ];
}

def Lipschitz : Pass<"res-lipschitz", "::mlir::ModuleOp"> {
  let summary = "Report upper bounds on the Lipschitz constant of each "
                "block and of the network";
  let description = [{
    Emits a remark per residual block with a bound L on the Lipschitz
    constant (l2 to l2) of its branch, of its shortcut and of the block,
    |output_scale| * (L_shortcut + |branch_scale| * L_branch) * L_after,
    and one per model with the product over blocks and the bound of the
    whole network. Does not change the IR. The bounds are computed by
    res::computeLipschitz (LipschitzBound.h), which `resc info` can call.
  }];
  let options = [
    Option<"method", "method", "std::string", "\"certified\"",
           "How a linear layer's norm is bounded: 'certified' (a guaranteed "
           "upper bound) or 'power-iteration' (an estimate from below of "
           "the tightest such bound)">,
    Option<"iterations", "iterations", "unsigned", "100",
           "Power-iteration steps per linear layer">,
    Option<"print", "print", "bool", "false",
           "Also print the bounds as a table on standard output">,
  ];
}

def Simplify : Pass<"res-simplify", "::mlir::ModuleOp"> {
  let summary = "Canonicalise the res dialect and remove dead code";
  let description = [{
    Removes identity activations and `after identity`, repeated relus,
    residual blocks with branch_scale 0 and output_scale 1 (replaced by
    their shortcut), shortcuts that just yield their argument (made the
    identity), tied repeats of count 1 (inlined) or whose body is the
    identity (removed), dead pure ops and
    `res.param`s that nothing reads.
  }];
  let options = [
    Option<"eraseUnusedParams", "erase-unused-params", "bool", "true",
           "Erase res.param symbols that no res.weight reads">,
  ];
  let statistics = [
    Statistic<"numErasedParams", "erased-params", "unused parameters erased">,
  ];
}

def InlineBlocks : Pass<"res-inline-blocks", "::mlir::ModuleOp"> {
  let summary = "Flatten residual blocks into plain ops";
  let description = [{
    Replaces each `res.residual` with branch_scale 1 and output_scale 1 by
    its branch ops, its shortcut ops, a `res.add` of the two and the `after`
    activation. Blocks with other scales are kept, with a remark: this pass
    does not emit the scales as `res.scale` ops (that op exists, among the
    training ops, but only res-generate-gradients creates it, when it
    flattens blocks for training). Tied repeats stay loops unless
    `unroll-repeats` is set. Run it once block-level passes are done.
  }];
  let options = [
    Option<"unrollRepeats", "unroll-repeats", "bool", "false",
           "Also unroll tied repeats into count copies of their body">,
  ];
  let statistics = [
    Statistic<"numInlined", "inlined", "residual blocks flattened">,
    Statistic<"numUnrolled", "unrolled", "tied repeats unrolled">,
  ];
}

def GenerateGradients : Pass<"res-generate-gradients", "::mlir::ModuleOp"> {
  let summary = "Build the training function of a model: its training-mode "
                "forward pass followed by the backward pass";
  let description = [{
    For the model function `@m(x...) -> (y...)` (every public function without
    a `res.train_of` attribute, or the one named by `model`) this adds
    `@m_train(x..., dy...) -> (y..., dx..., dparam..., running...)`:
    - the forward pass in training mode, flat: tied repeats are unrolled and
      residual blocks inlined (y = a * after... with `res.scale` for the
      scales), and every batch norm normalises with the batch statistics
      (`res.channel_mean`, `res.channel_var`) and produces its new running
      statistics with `res.lerp` (the variance's unbiased, as PyTorch);
    - the backward pass: for each op, in reverse, its vector-Jacobian
      product with the gradient of its result; gradients of values with
      several uses, and of parameters used several times (a tied repeat
      uses its parameters once per iteration), are summed with `res.add`.
    The arguments `dy` are the gradients of the outputs; the results are the
    outputs, the gradient of every input (unless `input-grads=false`), of
    every trainable parameter
    (sorted by name) and the updated running statistics, each marked with
    `res.role` ("output", "input_grad", "param_grad", "running_stat") and
    `res.name` (the output's or input's name, the parameter's symbol).

    Saved activations: the backward pass reads forward values directly, so
    every forward value that a gradient needs (a convolution's input, an
    activation's input, a batch norm's input and statistics) stays alive
    until its gradient is computed. A remark on the function says how many
    tensors that is and how many floats per sample they hold.

    The model must be as written (no `res.fused_conv2d` or
    `res.fold_bn_params`): run this pass before the optimisation pipeline;
    inference-only rewrites such as BN folding do not apply in training.
  }];
  let options = [
    Option<"model", "model", "std::string", "\"\"",
           "The model function to differentiate (default: every one)">,
    Option<"inputGrads", "input-grads", "bool", "true",
           "Return the gradients of the model's inputs (false: leave them "
           "out, and the kernels only they need, as a training step that "
           "updates parameters only does)">,
  ];
}

#endif // RES_PASSES_TD
