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
