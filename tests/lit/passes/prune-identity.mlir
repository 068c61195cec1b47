// res-prune-identity: blocks whose branch is zero become their shortcut;
// with a threshold, blocks whose branch is provably small do too.
// RUN: res-opt %s -split-input-file -res-prune-identity -verify-diagnostics | FileCheck %s

// zero_init_residual: the last batch norm has weight 0 and bias 0. The
// input comes from a relu, so `after relu` is a no-op and the whole block
// goes; its parameters go with it.
// CHECK-NOT: res.param @b.
// CHECK-LABEL: func.func @zero_init
// CHECK-NEXT: %[[R:.*]] = res.activation relu %arg0
// CHECK-NEXT: return %[[R]]
res.param @b.fc.weight : tensor<4x4xf32> = dense<1.0> : tensor<4x4xf32>
res.param @b.bn.weight : tensor<4xf32> = dense<0.0> : tensor<4xf32>
res.param @b.bn.bias : tensor<4xf32> = dense<0.0> : tensor<4xf32>
res.param @b.bn.running_mean : tensor<4xf32> = dense<0.5> : tensor<4xf32> {buffer}
res.param @b.bn.running_var : tensor<4xf32> = dense<2.0> : tensor<4xf32> {buffer}
func.func @zero_init(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %r = res.activation relu %x : tensor<?x4xf32>
  // expected-remark@+1 {{pruned block 'b': batch norm 'b.bn' has zero weight and bias; bound 0}}
  %y = res.residual %r after relu {layer = "b"} : tensor<?x4xf32> -> tensor<?x4xf32> branch {
  ^bb0(%a: tensor<?x4xf32>):
    %w = res.weight @b.fc.weight : tensor<4x4xf32>
    %d = res.dense %a, %w {layer = "b.fc"} : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
    %g = res.weight @b.bn.weight : tensor<4xf32>
    %be = res.weight @b.bn.bias : tensor<4xf32>
    %m = res.weight @b.bn.running_mean : tensor<4xf32>
    %v = res.weight @b.bn.running_var : tensor<4xf32>
    %n = res.batch_norm %d, %g, %be, %m, %v {epsilon = 1.0e-5 : f64, momentum = 0.1 : f64, layer = "b.bn"} : (tensor<?x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
    res.yield %n : tensor<?x4xf32>
  }
  return %y : tensor<?x4xf32>
}

// -----

// The input may be negative: the post-activation stays.
// CHECK-LABEL: func.func @keeps_after
// CHECK-NEXT: %[[R:.*]] = res.activation relu %arg0 {layer = "b.after"}
// CHECK-NEXT: return %[[R]]
res.param @b.fc.weight : tensor<4x4xf32> = dense<0.0> : tensor<4x4xf32>
func.func @keeps_after(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  // expected-remark@+1 {{pruned block 'b': 'b.fc' has zero weight and bias; bound 0}}
  %y = res.residual %x after relu {layer = "b"} : tensor<?x4xf32> -> tensor<?x4xf32> branch {
  ^bb0(%a: tensor<?x4xf32>):
    %w = res.weight @b.fc.weight : tensor<4x4xf32>
    %d = res.dense %a, %w {layer = "b.fc"} : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
    %r = res.activation relu %d : tensor<?x4xf32>
    res.yield %r : tensor<?x4xf32>
  }
  return %y : tensor<?x4xf32>
}

// -----

// A projection shortcut is kept and inlined, then the post-activation.
// CHECK-LABEL: func.func @projection
// CHECK-NEXT: %[[W:.*]] = res.weight @b.proj.weight
// CHECK-NEXT: %[[P:.*]] = res.dense %arg0, %[[W]] {layer = "b.proj"}
// CHECK-NEXT: %[[R:.*]] = res.activation relu %[[P]] {layer = "b.after"}
// CHECK-NEXT: return %[[R]]
res.param @b.fc.weight : tensor<2x4xf32> = dense<1.0> : tensor<2x4xf32>
res.param @b.proj.weight : tensor<2x4xf32> = dense<1.0> : tensor<2x4xf32>
func.func @projection(%x: tensor<?x4xf32>) -> tensor<?x2xf32> {
  // expected-remark@+1 {{pruned block 'b': branch_scale is 0; bound 0}}
  %y = res.residual %x after relu {layer = "b", branch_scale = 0.0 : f64} : tensor<?x4xf32> -> tensor<?x2xf32> branch {
  ^bb0(%a: tensor<?x4xf32>):
    %w = res.weight @b.fc.weight : tensor<2x4xf32>
    %d = res.dense %a, %w {layer = "b.fc"} : (tensor<?x4xf32>, tensor<2x4xf32>) -> tensor<?x2xf32>
    res.yield %d : tensor<?x2xf32>
  } shortcut {
  ^bb0(%a: tensor<?x4xf32>):
    %w = res.weight @b.proj.weight : tensor<2x4xf32>
    %p = res.dense %a, %w {layer = "b.proj"} : (tensor<?x4xf32>, tensor<2x4xf32>) -> tensor<?x2xf32>
    res.yield %p : tensor<?x2xf32>
  }
  return %y : tensor<?x2xf32>
}

// -----

// A zero-weight batch norm with a non-zero bias outputs the bias: kept,
// silently (there is nothing to prune).
// CHECK-LABEL: func.func @nonzero_bias
// CHECK: res.residual
res.param @b.bn.weight : tensor<4xf32> = dense<0.0> : tensor<4xf32>
res.param @b.bn.bias : tensor<4xf32> = dense<0.5> : tensor<4xf32>
res.param @b.bn.running_mean : tensor<4xf32> = dense<0.0> : tensor<4xf32> {buffer}
res.param @b.bn.running_var : tensor<4xf32> = dense<1.0> : tensor<4xf32> {buffer}
func.func @nonzero_bias(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %y = res.residual %x {layer = "b"} : tensor<?x4xf32> -> tensor<?x4xf32> branch {
  ^bb0(%a: tensor<?x4xf32>):
    %g = res.weight @b.bn.weight : tensor<4xf32>
    %be = res.weight @b.bn.bias : tensor<4xf32>
    %m = res.weight @b.bn.running_mean : tensor<4xf32>
    %v = res.weight @b.bn.running_var : tensor<4xf32>
    %n = res.batch_norm %a, %g, %be, %m, %v {epsilon = 1.0e-5 : f64, momentum = 0.1 : f64, layer = "b.bn"} : (tensor<?x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
    res.yield %n : tensor<?x4xf32>
  }
  return %y : tensor<?x4xf32>
}

// -----

// An output scale other than 1 has no op to live on outside the block.
// CHECK-LABEL: func.func @output_scale
// CHECK: res.residual
res.param @b.fc.weight : tensor<4x4xf32> = dense<0.0> : tensor<4x4xf32>
func.func @output_scale(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  // expected-remark@+1 {{block 'b' kept although its branch is negligible ('b.fc' has zero weight and bias): output_scale 0.5 cannot be applied outside a block}}
  %y = res.residual %x {layer = "b", output_scale = 0.5 : f64} : tensor<?x4xf32> -> tensor<?x4xf32> branch {
  ^bb0(%a: tensor<?x4xf32>):
    %w = res.weight @b.fc.weight : tensor<4x4xf32>
    %d = res.dense %a, %w {layer = "b.fc"} : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
    res.yield %d : tensor<?x4xf32>
  }
  return %y : tensor<?x4xf32>
}

// -----

// Parameters supplied at run time prove nothing.
// CHECK-LABEL: func.func @unbound
// CHECK: res.residual
res.param @b.fc.weight : tensor<4x4xf32>
func.func @unbound(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %y = res.residual %x {layer = "b"} : tensor<?x4xf32> -> tensor<?x4xf32> branch {
  ^bb0(%a: tensor<?x4xf32>):
    %w = res.weight @b.fc.weight : tensor<4x4xf32>
    %d = res.dense %a, %w {layer = "b.fc"} : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
    res.yield %d : tensor<?x4xf32>
  }
  return %y : tensor<?x4xf32>
}

// -----

// A small branch is kept at threshold 0 (prune-identity-threshold.mlir
// prunes it at 0.05), with no remark.
// CHECK-LABEL: func.func @small
// CHECK: res.residual
res.param @b.fc.weight : tensor<2x2xf32> = dense<[[0.01, 0.0], [0.0, 0.02]]> : tensor<2x2xf32>
func.func @small(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %y = res.residual %x {layer = "b"} : tensor<?x2xf32> -> tensor<?x2xf32> branch {
  ^bb0(%a: tensor<?x2xf32>):
    %w = res.weight @b.fc.weight : tensor<2x2xf32>
    %d = res.dense %a, %w {layer = "b.fc"} : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
    res.yield %d : tensor<?x2xf32>
  }
  return %y : tensor<?x2xf32>
}

// -----

// hardsigmoid(0) = 0.5, as sigmoid(0): a branch that ends in one is not
// zero even when the layer before it is, and the block stays. relu6 keeps
// 0 at 0: that block goes.
// CHECK-LABEL: func.func @hardsigmoid_is_not_zero
// CHECK: res.residual
// CHECK: res.activation hardsigmoid
// CHECK-LABEL: func.func @relu6_keeps_zero
// CHECK-NOT: res.residual
// CHECK: return %arg0
res.param @b.fc.weight : tensor<4x4xf32> = dense<0.0> : tensor<4x4xf32>
func.func @hardsigmoid_is_not_zero(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %y = res.residual %x {layer = "b"} : tensor<?x4xf32> -> tensor<?x4xf32> branch {
  ^bb0(%a: tensor<?x4xf32>):
    %w = res.weight @b.fc.weight : tensor<4x4xf32>
    %d = res.dense %a, %w {layer = "b.fc"} : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
    %h = res.activation hardsigmoid %d : tensor<?x4xf32>
    res.yield %h : tensor<?x4xf32>
  }
  return %y : tensor<?x4xf32>
}
func.func @relu6_keeps_zero(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  // expected-remark@+1 {{pruned block 'c': 'c.fc' has zero weight and bias; bound 0}}
  %y = res.residual %x {layer = "c"} : tensor<?x4xf32> -> tensor<?x4xf32> branch {
  ^bb0(%a: tensor<?x4xf32>):
    %w = res.weight @b.fc.weight : tensor<4x4xf32>
    %d = res.dense %a, %w {layer = "c.fc"} : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
    %h = res.activation relu6 %d : tensor<?x4xf32>
    res.yield %h : tensor<?x4xf32>
  }
  return %y : tensor<?x4xf32>
}

// -----

// A ConvNeXt-style branch ending in a layer scale of zeros is zero whatever
// comes before it, layer norm included: the block becomes its input.
// CHECK-NOT: res.param @b.
// CHECK-LABEL: func.func @zero_layer_scale
// CHECK-NEXT: return %arg0
res.param @b.fc.weight : tensor<4x4xf32> = dense<1.0> : tensor<4x4xf32>
res.param @b.norm.weight : tensor<4xf32> = dense<1.0> : tensor<4xf32>
res.param @b.norm.bias : tensor<4xf32> = dense<0.5> : tensor<4xf32>
res.param @b.gamma : tensor<4xf32> = dense<0.0> : tensor<4xf32>
func.func @zero_layer_scale(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  // expected-remark@+1 {{pruned block 'b': channel_scale 'b.gamma' has a zero scale; bound 0}}
  %y = res.residual %x {layer = "b"} : tensor<?x4xf32> -> tensor<?x4xf32> branch {
  ^bb0(%a: tensor<?x4xf32>):
    %g = res.weight @b.norm.weight : tensor<4xf32>
    %be = res.weight @b.norm.bias : tensor<4xf32>
    %n = res.layer_norm %a, %g, %be {epsilon = 1.0e-6 : f64, layer = "b.norm"} : (tensor<?x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
    %w = res.weight @b.fc.weight : tensor<4x4xf32>
    %d = res.dense %n, %w {layer = "b.fc"} : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
    %s = res.weight @b.gamma : tensor<4xf32>
    %o = res.channel_scale %d, %s {init = 1.0e-6 : f64, layer = "b.gamma"} : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
    res.yield %o : tensor<?x4xf32>
  }
  return %y : tensor<?x4xf32>
}

// -----

// A non-zero layer scale keeps the block.
// CHECK-LABEL: func.func @live_layer_scale
// CHECK: res.residual
res.param @b.gamma : tensor<4xf32> = dense<1.0e-6> : tensor<4xf32>
func.func @live_layer_scale(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %y = res.residual %x {layer = "b"} : tensor<?x4xf32> -> tensor<?x4xf32> branch {
  ^bb0(%a: tensor<?x4xf32>):
    %s = res.weight @b.gamma : tensor<4xf32>
    %o = res.channel_scale %a, %s {init = 1.0e-6 : f64, layer = "b.gamma"} : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
    res.yield %o : tensor<?x4xf32>
  }
  return %y : tensor<?x4xf32>
}

// -----

// A Transformer's MLP residual on tokens [N, T, D] whose last dense layer is
// zero (weight and bias): the block is the identity and goes, norm and all.
// CHECK-LABEL: func.func @zero_mlp_on_tokens
// CHECK-NOT: res.residual
// CHECK-NOT: res.layer_norm
// CHECK: return %arg0
res.param @ln.weight : tensor<8xf32> = dense<1.0> : tensor<8xf32>
res.param @ln.bias : tensor<8xf32> = dense<0.5> : tensor<8xf32>
res.param @d1.weight : tensor<16x8xf32> = dense<1.0> : tensor<16x8xf32>
res.param @d2.weight : tensor<8x16xf32> = dense<0.0> : tensor<8x16xf32>
res.param @d2.bias : tensor<8xf32> = dense<0.0> : tensor<8xf32>
func.func @zero_mlp_on_tokens(%x: tensor<?x4x8xf32>) -> tensor<?x4x8xf32> {
  // expected-remark @below {{pruned block 'mlp': 'd2' has zero weight and bias; bound 0}}
  %0 = res.residual %x {layer = "mlp"} : tensor<?x4x8xf32> -> tensor<?x4x8xf32> branch {
  ^bb0(%a: tensor<?x4x8xf32>):
    %g = res.weight @ln.weight : tensor<8xf32>
    %b = res.weight @ln.bias : tensor<8xf32>
    %n = res.layer_norm %a, %g, %b {epsilon = 1.0e-05 : f64, layer = "ln"} : (tensor<?x4x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x4x8xf32>
    %w1 = res.weight @d1.weight : tensor<16x8xf32>
    %h = res.dense %n, %w1 {layer = "d1"} : (tensor<?x4x8xf32>, tensor<16x8xf32>) -> tensor<?x4x16xf32>
    %act = res.activation gelu %h {layer = "act"} : tensor<?x4x16xf32>
    %w2 = res.weight @d2.weight : tensor<8x16xf32>
    %b2 = res.weight @d2.bias : tensor<8xf32>
    %y = res.dense %act, %w2, %b2 {layer = "d2"} : (tensor<?x4x16xf32>, tensor<8x16xf32>, tensor<8xf32>) -> tensor<?x4x8xf32>
    res.yield %y : tensor<?x4x8xf32>
  }
  return %0 : tensor<?x4x8xf32>
}
