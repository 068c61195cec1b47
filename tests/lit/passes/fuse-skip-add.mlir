// res-fuse-skip-add: a block's sum and activation, a flat add and an
// activation go into the convolution before them; everything else stays,
// blocks with a remark saying why.
// RUN: res-opt %s -split-input-file -res-fuse-skip-add -verify-diagnostics | FileCheck %s
// RUN: res-opt %s -split-input-file -res-fuse-skip-add=fuse-activations=false -verify-diagnostics | FileCheck %s --check-prefix=NOACT

// A block whose branch ends in a conv, identity shortcut, after relu, both
// scales: y = relu(a*h*(conv + b) + a*x).
// CHECK-LABEL: func.func @block
// CHECK: %[[W:.*]] = res.weight @c.weight
// CHECK: %[[B:.*]] = res.weight @c.bias
// CHECK: %[[Y:.*]] = res.fused_conv2d %arg0, %[[W]] bias %[[B]] residual %arg0 act relu {conv_scale = 1.500000e-01 : f64, {{.*}}layer = "blk.c", {{.*}}residual_scale = 5.000000e-01 : f64
// CHECK-NOT: res.residual
// CHECK: return %[[Y]]
res.param @c.weight : tensor<2x2x3x3xf32>
res.param @c.bias : tensor<2xf32>
func.func @block(%x: tensor<?x2x4x4xf32>) -> tensor<?x2x4x4xf32> {
  // expected-remark@+1 {{block 'blk': skip add and activation fused into 'blk.c'}}
  %y = res.residual %x after relu {layer = "blk", branch_scale = 0.3 : f64, output_scale = 0.5 : f64} : tensor<?x2x4x4xf32> -> tensor<?x2x4x4xf32> branch {
  ^bb0(%a: tensor<?x2x4x4xf32>):
    %w = res.weight @c.weight : tensor<2x2x3x3xf32>
    %b = res.weight @c.bias : tensor<2xf32>
    %c = res.conv2d %a, %w, %b {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "blk.c", padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x2x4x4xf32>, tensor<2x2x3x3xf32>, tensor<2xf32>) -> tensor<?x2x4x4xf32>
    res.yield %c : tensor<?x2x4x4xf32>
  }
  return %y : tensor<?x2x4x4xf32>
}

// -----

// A projection shortcut is computed first and becomes the residual; a
// pre-activation block (no after) fuses no activation.
// CHECK-LABEL: func.func @projection
// CHECK: %[[P:.*]] = res.conv2d %arg0, {{.*}}layer = "blk.proj"
// CHECK: %[[Y:.*]] = res.fused_conv2d %arg0, {{.*}} residual %[[P]] {
// CHECK-NOT: act
// CHECK-SAME: -> tensor<?x4x2x2xf32>
// CHECK: return %[[Y]]
res.param @c.weight : tensor<4x2x3x3xf32>
res.param @p.weight : tensor<4x2x1x1xf32>
func.func @projection(%x: tensor<?x2x4x4xf32>) -> tensor<?x4x2x2xf32> {
  // expected-remark@+1 {{block 'blk': skip add fused into 'blk.c'}}
  %y = res.residual %x {layer = "blk"} : tensor<?x2x4x4xf32> -> tensor<?x4x2x2xf32> branch {
  ^bb0(%a: tensor<?x2x4x4xf32>):
    %w = res.weight @c.weight : tensor<4x2x3x3xf32>
    %c = res.conv2d %a, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "blk.c", padding = array<i64: 1, 1>, stride = array<i64: 2, 2>} : (tensor<?x2x4x4xf32>, tensor<4x2x3x3xf32>) -> tensor<?x4x2x2xf32>
    res.yield %c : tensor<?x4x2x2xf32>
  } shortcut {
  ^bb0(%a: tensor<?x2x4x4xf32>):
    %w = res.weight @p.weight : tensor<4x2x1x1xf32>
    %p = res.conv2d %a, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "blk.proj", padding = array<i64: 0, 0>, stride = array<i64: 2, 2>} : (tensor<?x2x4x4xf32>, tensor<4x2x1x1xf32>) -> tensor<?x4x2x2xf32>
    res.yield %p : tensor<?x4x2x2xf32>
  }
  return %y : tensor<?x4x2x2xf32>
}

// -----

// Not fused: a branch that ends in a batch norm (not folded) or in an
// activation (pre-activation), and a conv whose result has another user.
// CHECK-LABEL: func.func @kept
// CHECK-COUNT-3: res.residual
// CHECK-NOT: res.fused_conv2d {{.*}}residual
res.param @c.weight : tensor<2x2x1x1xf32>
res.param @bn.weight : tensor<2xf32>
res.param @bn.bias : tensor<2xf32>
res.param @bn.running_mean : tensor<2xf32> {buffer}
res.param @bn.running_var : tensor<2xf32> {buffer}
func.func @kept(%x: tensor<?x2x4x4xf32>) -> tensor<?x2x4x4xf32> {
  // expected-remark@+1 {{block 'bn_last' not fused: its branch ends in 'bn' (res.batch_norm), not a convolution}}
  %a = res.residual %x {layer = "bn_last"} : tensor<?x2x4x4xf32> -> tensor<?x2x4x4xf32> branch {
  ^bb0(%i: tensor<?x2x4x4xf32>):
    %w = res.weight @c.weight : tensor<2x2x1x1xf32>
    %c = res.conv2d %i, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "c", padding = array<i64: 0, 0>, stride = array<i64: 1, 1>} : (tensor<?x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<?x2x4x4xf32>
    %g = res.weight @bn.weight : tensor<2xf32>
    %b = res.weight @bn.bias : tensor<2xf32>
    %m = res.weight @bn.running_mean : tensor<2xf32>
    %v = res.weight @bn.running_var : tensor<2xf32>
    %n = res.batch_norm %c, %g, %b, %m, %v {epsilon = 1.0e-5 : f64, momentum = 0.1 : f64, layer = "bn"} : (tensor<?x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<?x2x4x4xf32>
    res.yield %n : tensor<?x2x4x4xf32>
  }
  // expected-remark@+1 {{block 'act_last' not fused: its branch ends in 'r' (res.activation), not a convolution}}
  %b = res.residual %a {layer = "act_last"} : tensor<?x2x4x4xf32> -> tensor<?x2x4x4xf32> branch {
  ^bb0(%i: tensor<?x2x4x4xf32>):
    %r = res.activation relu %i {layer = "r"} : tensor<?x2x4x4xf32>
    res.yield %r : tensor<?x2x4x4xf32>
  }
  // expected-remark@+1 {{block 'shared' not fused: the result of 'c2' has other users}}
  %y = res.residual %b {layer = "shared"} : tensor<?x2x4x4xf32> -> tensor<?x2x4x4xf32> branch {
  ^bb0(%i: tensor<?x2x4x4xf32>):
    %w = res.weight @c.weight : tensor<2x2x1x1xf32>
    %c = res.conv2d %i, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "c2", padding = array<i64: 0, 0>, stride = array<i64: 1, 1>} : (tensor<?x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<?x2x4x4xf32>
    %d = res.add %c, %c : tensor<?x2x4x4xf32>, tensor<?x2x4x4xf32>
    res.yield %c : tensor<?x2x4x4xf32>
  }
  return %y : tensor<?x2x4x4xf32>
}

// -----

// Flat ops: conv + add (the other operand may have fewer channels) + relu
// become one fused op; a conv + activation without add too. With
// fuse-activations=false the activations stay.
// CHECK-LABEL: func.func @flat
// CHECK: %[[A:.*]] = res.fused_conv2d %arg0, %{{.*}} act relu {{.*}}layer = "first"
// CHECK: %[[Y:.*]] = res.fused_conv2d %[[A]], %{{.*}} residual %arg1 act relu {{.*}}layer = "second"
// CHECK-NOT: res.add
// CHECK-NOT: res.activation
// CHECK: return %[[Y]]
// NOACT-LABEL: func.func @flat
// NOACT: res.conv2d
// NOACT: res.activation relu
// NOACT: %[[S:.*]] = res.fused_conv2d {{.*}} residual %arg1 {
// NOACT: res.activation relu %[[S]]
res.param @w : tensor<4x4x1x1xf32>
func.func @flat(%x: tensor<?x4x2x2xf32>, %s: tensor<?x2x2x2xf32>) -> tensor<?x4x2x2xf32> {
  %w = res.weight @w : tensor<4x4x1x1xf32>
  %c = res.conv2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "first", padding = array<i64: 0, 0>, stride = array<i64: 1, 1>} : (tensor<?x4x2x2xf32>, tensor<4x4x1x1xf32>) -> tensor<?x4x2x2xf32>
  %r = res.activation relu %c : tensor<?x4x2x2xf32>
  %c2 = res.conv2d %r, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "second", padding = array<i64: 0, 0>, stride = array<i64: 1, 1>} : (tensor<?x4x2x2xf32>, tensor<4x4x1x1xf32>) -> tensor<?x4x2x2xf32>
  %sum = res.add %c2, %s : tensor<?x4x2x2xf32>, tensor<?x2x2x2xf32>
  %y = res.activation relu %sum : tensor<?x4x2x2xf32>
  return %y : tensor<?x4x2x2xf32>
}
