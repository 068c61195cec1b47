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
