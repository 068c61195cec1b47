// Parameters supplied at run time are not folded (yet).
// CHECK-LABEL: func.func @unbound
// CHECK: res.batch_norm
res.param @c.weight : tensor<2x1x1x1xf32>
res.param @bn.weight : tensor<2xf32>
res.param @bn.bias : tensor<2xf32>
res.param @bn.running_mean : tensor<2xf32> {buffer}
res.param @bn.running_var : tensor<2xf32> {buffer}
func.func @unbound(%x: tensor<?x1x4x4xf32>) -> tensor<?x2x4x4xf32> {
  %w = res.weight @c.weight : tensor<2x1x1x1xf32>
  %c = res.conv2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "c", padding = array<i64: 0, 0>, stride = array<i64: 1, 1>} : (tensor<?x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<?x2x4x4xf32>
  %g = res.weight @bn.weight : tensor<2xf32>
  %b = res.weight @bn.bias : tensor<2xf32>
  %m = res.weight @bn.running_mean : tensor<2xf32>
  %v = res.weight @bn.running_var : tensor<2xf32>
  // expected-remark@+1 {{batch norm 'bn' not folded: the parameters of 'c' are supplied at run time (run-time folding is not implemented)}}
  %y = res.batch_norm %c, %g, %b, %m, %v {epsilon = 1.0e-5 : f64, momentum = 0.1 : f64, layer = "bn"} : (tensor<?x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<?x2x4x4xf32>
  return %y : tensor<?x2x4x4xf32>
}
