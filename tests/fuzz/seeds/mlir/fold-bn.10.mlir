// Inside a residual branch, with the conv's weight also read by a conv that
// is not folded: the original parameter stays for that one.
// CHECK-LABEL: res.param @c.weight : tensor<2x2x1x1xf32>
// CHECK: res.param @c.weight.bn_folded : tensor<2x2x1x1xf32> = dense<2.000000e+00>
// CHECK-NEXT: res.param @c.bias.bn_folded : tensor<2xf32> = dense<0.000000e+00>
// CHECK-LABEL: func.func @in_block
// CHECK: res.conv2d %arg0, %{{.*}} {{.*}}layer = "plain"
// CHECK: res.residual
// CHECK: res.weight @c.weight.bn_folded
// CHECK: res.conv2d {{.*}}layer = "c"
// CHECK-NEXT: res.yield
res.param @c.weight : tensor<2x2x1x1xf32> = dense<1.0> : tensor<2x2x1x1xf32>
res.param @bn.weight : tensor<2xf32> = dense<4.0> : tensor<2xf32>
res.param @bn.bias : tensor<2xf32> = dense<0.0> : tensor<2xf32>
res.param @bn.running_mean : tensor<2xf32> = dense<0.0> : tensor<2xf32> {buffer}
res.param @bn.running_var : tensor<2xf32> = dense<3.0> : tensor<2xf32> {buffer}
func.func @in_block(%x: tensor<?x2x4x4xf32>) -> tensor<?x2x4x4xf32> {
  %w0 = res.weight @c.weight : tensor<2x2x1x1xf32>
  %p = res.conv2d %x, %w0 {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "plain", padding = array<i64: 0, 0>, stride = array<i64: 1, 1>} : (tensor<?x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<?x2x4x4xf32>
  %y = res.residual %p {layer = "blk"} : tensor<?x2x4x4xf32> -> tensor<?x2x4x4xf32> branch {
  ^bb0(%a: tensor<?x2x4x4xf32>):
    %w = res.weight @c.weight : tensor<2x2x1x1xf32>
    %c = res.conv2d %a, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "c", padding = array<i64: 0, 0>, stride = array<i64: 1, 1>} : (tensor<?x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<?x2x4x4xf32>
    %g = res.weight @bn.weight : tensor<2xf32>
    %b = res.weight @bn.bias : tensor<2xf32>
    %m = res.weight @bn.running_mean : tensor<2xf32>
    %v = res.weight @bn.running_var : tensor<2xf32>
    %n = res.batch_norm %c, %g, %b, %m, %v {epsilon = 1.0 : f64, momentum = 0.1 : f64, layer = "bn"} : (tensor<?x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<?x2x4x4xf32>
    res.yield %n : tensor<?x2x4x4xf32>
  }
  return %y : tensor<?x2x4x4xf32>
}
