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
