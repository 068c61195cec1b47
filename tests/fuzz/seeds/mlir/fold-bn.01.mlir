// A dense layer with a bias [1, 1]: bias' = (b - mean) * s + bias
// = [(1 - 0.5) * 2 + 1, (1 - 1) * 1 - 1] = [2, -1].
// CHECK-LABEL: res.param @fc.weight.bn_folded : tensor<2x2xf32> = dense<{{\[}}[2.000000e+00, 4.000000e+00], [3.000000e+00, 4.000000e+00]]>
// CHECK-NEXT: res.param @fc.bias.bn_folded : tensor<2xf32> = dense<[2.000000e+00, -1.000000e+00]>
// CHECK-LABEL: func.func @dense_then_bn
// CHECK: res.dense %arg0, %{{.*}}, %{{.*}} {layer = "fc"}
// CHECK-NOT: res.batch_norm
res.param @fc.weight : tensor<2x2xf32> = dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
res.param @fc.bias : tensor<2xf32> = dense<1.0> : tensor<2xf32>
res.param @bn.weight : tensor<2xf32> = dense<[4.0, 3.0]> : tensor<2xf32>
res.param @bn.bias : tensor<2xf32> = dense<[1.0, -1.0]> : tensor<2xf32>
res.param @bn.running_mean : tensor<2xf32> = dense<[0.5, 1.0]> : tensor<2xf32> {buffer}
res.param @bn.running_var : tensor<2xf32> = dense<[3.0, 8.0]> : tensor<2xf32> {buffer}
func.func @dense_then_bn(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %w = res.weight @fc.weight : tensor<2x2xf32>
  %b0 = res.weight @fc.bias : tensor<2xf32>
  %d = res.dense %x, %w, %b0 {layer = "fc"} : (tensor<?x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<?x2xf32>
  %g = res.weight @bn.weight : tensor<2xf32>
  %b = res.weight @bn.bias : tensor<2xf32>
  %m = res.weight @bn.running_mean : tensor<2xf32>
  %v = res.weight @bn.running_var : tensor<2xf32>
  %y = res.batch_norm %d, %g, %b, %m, %v {epsilon = 1.0 : f64, momentum = 0.1 : f64, layer = "bn"} : (tensor<?x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}
