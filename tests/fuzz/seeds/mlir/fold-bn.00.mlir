// res-fold-bn: folds into the layer before (and, where exact, after) a batch
// norm; every case it leaves alone has a remark saying why.
// RUN: res-opt %s -split-input-file -res-fold-bn -verify-diagnostics | FileCheck %s

// With var + eps = [4, 9] and weight [4, 3]: scale s = [2, 1]; with mean
// [0.5, 1] and bias [1, -1]: shift = bias - mean * s = [0, -2]. A conv with
// no bias gets one.
// CHECK-LABEL: res.param @c.weight.bn_folded : tensor<2x1x1x1xf32> = dense<2.000000e+00>
// CHECK-NEXT: res.param @c.bias.bn_folded : tensor<2xf32> = dense<[0.000000e+00, -2.000000e+00]>
// CHECK-NOT: res.param @c.weight :
// CHECK-NOT: res.param @bn.
// CHECK-LABEL: func.func @conv_then_bn
// CHECK: %[[W:.*]] = res.weight @c.weight.bn_folded
// CHECK: %[[B:.*]] = res.weight @c.bias.bn_folded
// CHECK: %[[C:.*]] = res.conv2d %arg0, %[[W]], %[[B]] {{.*}}layer = "c"
// CHECK-NOT: res.batch_norm
// CHECK: return %[[C]]
res.param @c.weight : tensor<2x1x1x1xf32> = dense<[[[[1.0]]], [[[2.0]]]]> : tensor<2x1x1x1xf32>
res.param @bn.weight : tensor<2xf32> = dense<[4.0, 3.0]> : tensor<2xf32>
res.param @bn.bias : tensor<2xf32> = dense<[1.0, -1.0]> : tensor<2xf32>
res.param @bn.running_mean : tensor<2xf32> = dense<[0.5, 1.0]> : tensor<2xf32> {buffer}
res.param @bn.running_var : tensor<2xf32> = dense<[3.0, 8.0]> : tensor<2xf32> {buffer}
func.func @conv_then_bn(%x: tensor<?x1x4x4xf32>) -> tensor<?x2x4x4xf32> {
  %w = res.weight @c.weight : tensor<2x1x1x1xf32>
  %c = res.conv2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "c", padding = array<i64: 0, 0>, stride = array<i64: 1, 1>} : (tensor<?x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<?x2x4x4xf32>
  %g = res.weight @bn.weight : tensor<2xf32>
  %b = res.weight @bn.bias : tensor<2xf32>
  %m = res.weight @bn.running_mean : tensor<2xf32>
  %v = res.weight @bn.running_var : tensor<2xf32>
  %y = res.batch_norm %c, %g, %b, %m, %v {epsilon = 1.0 : f64, momentum = 0.1 : f64, layer = "bn"} : (tensor<?x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<?x2x4x4xf32>
  return %y : tensor<?x2x4x4xf32>
}
