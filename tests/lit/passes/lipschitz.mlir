// res-lipschitz: remarks with Lipschitz bounds per block and per model, and
// the same numbers as a table with print=true.
// RUN: res-opt %s -split-input-file -res-lipschitz -verify-diagnostics | FileCheck %s --check-prefix=IR
// RUN: res-opt %s -split-input-file -res-lipschitz="print=true method=power-iteration" -mlir-print-op-on-diagnostic=false 2>/dev/null | FileCheck %s --check-prefix=TABLE
// RUN: not res-opt %s -split-input-file -res-lipschitz="method=guess" 2>&1 | FileCheck %s --check-prefix=BADMETHOD
// BADMETHOD: error: res-lipschitz: unknown method 'guess', expected 'certified' or 'power-iteration'

// The IR is left as it was.
// IR-LABEL: func.func @scaled
// IR: res.residual
// Stem ||2 I|| = 2. Branch: ||diag(3, 4)|| = 4, relu 1, batch norm
// max |weight| / sqrt(var + eps) = 2 / 2 = 1: L(F) = 4. Block: sigmoid
// 1/4 * |a| 0.5 * (1 + |h| 0.25 * 4) = 0.25. Network 2 * 0.25 = 0.5.
// TABLE: Lipschitz bounds of 'scaled' (power-iteration estimate)
// TABLE-NEXT: block branch shortcut total times
// TABLE-NEXT: b 4 1 0.25 1
// TABLE-NEXT: product over blocks: 0.25
// TABLE-NEXT: network: 0.5
res.param @stem.weight : tensor<2x2xf32> = dense<[[2.0, 0.0], [0.0, 2.0]]> : tensor<2x2xf32>
res.param @b.fc.weight : tensor<2x2xf32> = dense<[[3.0, 0.0], [0.0, 4.0]]> : tensor<2x2xf32>
res.param @b.bn.weight : tensor<2xf32> = dense<[2.0, -1.0]> : tensor<2xf32>
res.param @b.bn.bias : tensor<2xf32> = dense<5.0> : tensor<2xf32>
res.param @b.bn.running_mean : tensor<2xf32> = dense<7.0> : tensor<2xf32> {buffer}
res.param @b.bn.running_var : tensor<2xf32> = dense<3.0> : tensor<2xf32> {buffer}
// expected-remark@+1 {{model 'scaled': Lipschitz certified upper bound of the network 0.5, product over blocks 0.25}}
func.func @scaled(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %w0 = res.weight @stem.weight : tensor<2x2xf32>
  %s = res.dense %x, %w0 {layer = "stem"} : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
  // expected-remark@+1 {{block 'b': Lipschitz certified upper bound of the branch 4, of the shortcut 1, of the block 0.25}}
  %y = res.residual %s after sigmoid {layer = "b", branch_scale = 0.25 : f64, output_scale = 0.5 : f64} : tensor<?x2xf32> -> tensor<?x2xf32> branch {
  ^bb0(%a: tensor<?x2xf32>):
    %w = res.weight @b.fc.weight : tensor<2x2xf32>
    %d = res.dense %a, %w {layer = "b.fc"} : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
    %r = res.activation relu %d : tensor<?x2xf32>
    %g = res.weight @b.bn.weight : tensor<2xf32>
    %be = res.weight @b.bn.bias : tensor<2xf32>
    %m = res.weight @b.bn.running_mean : tensor<2xf32>
    %v = res.weight @b.bn.running_var : tensor<2xf32>
    %n = res.batch_norm %r, %g, %be, %m, %v {epsilon = 1.0 : f64, momentum = 0.1 : f64, layer = "b.bn"} : (tensor<?x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<?x2xf32>
    res.yield %n : tensor<?x2xf32>
  }
  return %y : tensor<?x2xf32>
}

// -----

// A tied repeat applies its block 3 times: (1 + 1)^3 = 8. The inner block
// of the branch is part of the outer block's bound: L(F) = tanh * (1 + 1)
// = 2, outer 1 + 2 = 3; the product counts only the outer blocks.
// TABLE: Lipschitz bounds of 'tied' (power-iteration estimate)
// TABLE-NEXT: block branch shortcut total times
// TABLE-NEXT: ode 1 1 2 3
// TABLE-NEXT: outer 2 1 3 1
// TABLE-NEXT: inner 1 1 2 1
// TABLE-NEXT: product over blocks: 24
// TABLE-NEXT: network: 24
// expected-remark@+1 {{model 'tied': Lipschitz certified upper bound of the network 24, product over blocks 24}}
func.func @tied(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %y = res.repeat %x {count = 3 : i64, layer = "ode"} : tensor<?x2xf32> body {
  ^bb0(%a: tensor<?x2xf32>):
    // expected-remark@+1 {{block 'ode': Lipschitz certified upper bound of the branch 1, of the shortcut 1, of the block 2 (applied 3 times)}}
    %r = res.residual %a {layer = "ode"} : tensor<?x2xf32> -> tensor<?x2xf32> branch {
    ^bb0(%b: tensor<?x2xf32>):
      %t = res.activation tanh %b : tensor<?x2xf32>
      res.yield %t : tensor<?x2xf32>
    }
    res.yield %r : tensor<?x2xf32>
  }
  // expected-remark@+1 {{block 'outer': Lipschitz certified upper bound of the branch 2, of the shortcut 1, of the block 3}}
  %z = res.residual %y {layer = "outer"} : tensor<?x2xf32> -> tensor<?x2xf32> branch {
  ^bb0(%a: tensor<?x2xf32>):
    %t = res.activation tanh %a : tensor<?x2xf32>
    // expected-remark@+1 {{block 'inner': Lipschitz certified upper bound of the branch 1, of the shortcut 1, of the block 2}}
    %i = res.residual %t {layer = "inner"} : tensor<?x2xf32> -> tensor<?x2xf32> branch {
    ^bb0(%b: tensor<?x2xf32>):
      res.yield %b : tensor<?x2xf32>
    }
    res.yield %i : tensor<?x2xf32>
  }
  return %z : tensor<?x2xf32>
}

// -----

// Parameters supplied at run time leave the bound unknown, and say so.
// TABLE: unbounded (parameters supplied at run time): fc
res.param @fc.weight : tensor<2x2xf32>
// expected-remark@+1 {{model 'unbound': Lipschitz certified upper bound of the network inf, product over blocks 1; unbounded because parameters are supplied at run time: fc}}
func.func @unbound(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %w = res.weight @fc.weight : tensor<2x2xf32>
  %d = res.dense %x, %w {layer = "fc"} : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
  return %d : tensor<?x2xf32>
}

// -----

// Convolutions: a 3x3 stride-1 kernel sees each input 9 times, so a
// kernel whose reshaped matrix has norm 1 (one tap of 1) bounds at 3; a
// 2x2 stride-2 kernel sees it once. Average pooling 2x2 stride 2 is 1/2,
// max pooling 3x3 stride 2 is sqrt(4) = 2, upsampling by 2 is 2 and
// global average over 4x4 is 1/4: 3 * 1 * 1/2 * 2 * 2 * 1/4 = 1.5.
// TABLE: Lipschitz bounds of 'convs' (power-iteration estimate)
// TABLE: network: 1.5
res.param @c3.weight : tensor<1x1x3x3xf32> = dense<[[[[0.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]]]> : tensor<1x1x3x3xf32>
res.param @c2.weight : tensor<1x1x2x2xf32> = dense<[[[[1.0, 0.0], [0.0, 0.0]]]]> : tensor<1x1x2x2xf32>
// expected-remark@+1 {{model 'convs': Lipschitz certified upper bound of the network 1.5, product over blocks 1}}
func.func @convs(%x: tensor<?x1x16x16xf32>) -> tensor<?x1xf32> {
  %w3 = res.weight @c3.weight : tensor<1x1x3x3xf32>
  %a = res.conv2d %x, %w3 {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x1x16x16xf32>, tensor<1x1x3x3xf32>) -> tensor<?x1x16x16xf32>
  %w2 = res.weight @c2.weight : tensor<1x1x2x2xf32>
  %b = res.conv2d %a, %w2 {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0>, stride = array<i64: 2, 2>} : (tensor<?x1x16x16xf32>, tensor<1x1x2x2xf32>) -> tensor<?x1x8x8xf32>
  %c = res.avg_pool2d %b {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : (tensor<?x1x8x8xf32>) -> tensor<?x1x4x4xf32>
  %d = res.max_pool2d %c {kernel = array<i64: 3, 3>, stride = array<i64: 2, 2>, padding = array<i64: 1, 1>} : (tensor<?x1x4x4xf32>) -> tensor<?x1x2x2xf32>
  %u = res.upsample %d {factor = 2 : i64} : (tensor<?x1x2x2xf32>) -> tensor<?x1x4x4xf32>
  %g = res.global_avg_pool %u : (tensor<?x1x4x4xf32>) -> tensor<?x1xf32>
  return %g : tensor<?x1xf32>
}

// -----

// A layer scale bounds at max |s| = 3; a layer norm has no finite bound,
// and the remark names it.
// TABLE: Lipschitz bounds of 'norms' (power-iteration estimate)
// TABLE: network: inf
// TABLE: no finite bound: ln
res.param @ls : tensor<2xf32> = dense<[0.5, -3.0]> : tensor<2xf32>
// expected-remark@+1 {{model 'norms': Lipschitz certified upper bound of the network inf, product over blocks 1; unbounded because these layers have no finite bound: ln}}
func.func @norms(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %s = res.weight @ls : tensor<2xf32>
  %a = res.channel_scale %x, %s {init = 1.0e-6 : f64, layer = "ls"} : (tensor<?x2xf32>, tensor<2xf32>) -> tensor<?x2xf32>
  %b = res.layer_norm %a {epsilon = 1.0e-5 : f64, layer = "ln"} : (tensor<?x2xf32>) -> tensor<?x2xf32>
  return %b : tensor<?x2xf32>
}

// -----

// channel_scale alone: max |s| over a [C, 1, 1] scale.
// TABLE: Lipschitz bounds of 'layer_scale' (power-iteration estimate)
// TABLE: network: 3
res.param @ls : tensor<2x1x1xf32> = dense<[[[0.5]], [[-3.0]]]> : tensor<2x1x1xf32>
// expected-remark@+1 {{model 'layer_scale': Lipschitz certified upper bound of the network 3, product over blocks 1}}
func.func @layer_scale(%x: tensor<?x2x4x4xf32>) -> tensor<?x2x4x4xf32> {
  %s = res.weight @ls : tensor<2x1x1xf32>
  %a = res.channel_scale %x, %s {init = 1.0e-6 : f64, layer = "ls"} : (tensor<?x2x4x4xf32>, tensor<2x1x1xf32>) -> tensor<?x2x4x4xf32>
  return %a : tensor<?x2x4x4xf32>
}
