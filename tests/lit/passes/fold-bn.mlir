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

// -----

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

// -----

// A batch norm before a conv without padding folds forwards: the weight is
// scaled per input channel, W' = [1 * 2, 1 * 1], and the shift goes into
// the bias, 1 * 0 + 1 * -2 = -2.
// CHECK-LABEL: res.param @c.weight.bn_folded : tensor<1x2x1x1xf32> = dense<{{\[}}{{\[}}{{\[}}[2.000000e+00]], {{\[}}[1.000000e+00]]]]>
// CHECK-NEXT: res.param @c.bias.bn_folded : tensor<1xf32> = dense<-2.000000e+00>
// CHECK-LABEL: func.func @bn_then_conv
// CHECK: %[[C:.*]] = res.conv2d %arg0, {{.*}}layer = "c"
// CHECK-NEXT: return %[[C]]
res.param @c.weight : tensor<1x2x1x1xf32> = dense<1.0> : tensor<1x2x1x1xf32>
res.param @bn.weight : tensor<2xf32> = dense<[4.0, 3.0]> : tensor<2xf32>
res.param @bn.bias : tensor<2xf32> = dense<[1.0, -1.0]> : tensor<2xf32>
res.param @bn.running_mean : tensor<2xf32> = dense<[0.5, 1.0]> : tensor<2xf32> {buffer}
res.param @bn.running_var : tensor<2xf32> = dense<[3.0, 8.0]> : tensor<2xf32> {buffer}
func.func @bn_then_conv(%x: tensor<?x2x4x4xf32>) -> tensor<?x1x4x4xf32> {
  %g = res.weight @bn.weight : tensor<2xf32>
  %b = res.weight @bn.bias : tensor<2xf32>
  %m = res.weight @bn.running_mean : tensor<2xf32>
  %v = res.weight @bn.running_var : tensor<2xf32>
  %n = res.batch_norm %x, %g, %b, %m, %v {epsilon = 1.0 : f64, momentum = 0.1 : f64, layer = "bn"} : (tensor<?x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<?x2x4x4xf32>
  %w = res.weight @c.weight : tensor<1x2x1x1xf32>
  %c = res.conv2d %n, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "c", padding = array<i64: 0, 0>, stride = array<i64: 1, 1>} : (tensor<?x2x4x4xf32>, tensor<1x2x1x1xf32>) -> tensor<?x1x4x4xf32>
  return %c : tensor<?x1x4x4xf32>
}

// -----

// Forwards into a padded conv would turn the padding zeros into -shift/s.
// CHECK-LABEL: func.func @bn_then_padded_conv
// CHECK: res.batch_norm
// CHECK: res.conv2d
res.param @c.weight : tensor<1x2x3x3xf32> = dense<1.0> : tensor<1x2x3x3xf32>
res.param @bn.weight : tensor<2xf32> = dense<[4.0, 3.0]> : tensor<2xf32>
res.param @bn.bias : tensor<2xf32> = dense<[1.0, -1.0]> : tensor<2xf32>
res.param @bn.running_mean : tensor<2xf32> = dense<[0.5, 1.0]> : tensor<2xf32> {buffer}
res.param @bn.running_var : tensor<2xf32> = dense<[3.0, 8.0]> : tensor<2xf32> {buffer}
func.func @bn_then_padded_conv(%x: tensor<?x2x4x4xf32>) -> tensor<?x1x4x4xf32> {
  %g = res.weight @bn.weight : tensor<2xf32>
  %b = res.weight @bn.bias : tensor<2xf32>
  %m = res.weight @bn.running_mean : tensor<2xf32>
  %v = res.weight @bn.running_var : tensor<2xf32>
  // expected-remark@+1 {{batch norm 'bn' not folded: 'c' after it pads its input, so folding would change the borders}}
  %n = res.batch_norm %x, %g, %b, %m, %v {epsilon = 1.0 : f64, momentum = 0.1 : f64, layer = "bn"} : (tensor<?x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<?x2x4x4xf32>
  %w = res.weight @c.weight : tensor<1x2x3x3xf32>
  %c = res.conv2d %n, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "c", padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x2x4x4xf32>, tensor<1x2x3x3xf32>) -> tensor<?x1x4x4xf32>
  return %c : tensor<?x1x4x4xf32>
}

// -----

// With a zero shift (mean 0 and bias 0) padding stays exact: s = [2, 1].
// CHECK-LABEL: res.param @c.weight.bn_folded : tensor<1x2x3x3xf32>
// CHECK-NEXT: res.param @c.bias.bn_folded : tensor<1xf32> = dense<0.000000e+00>
// CHECK-LABEL: func.func @zero_shift_bn_then_padded_conv
// CHECK-NOT: res.batch_norm
res.param @c.weight : tensor<1x2x3x3xf32> = dense<1.0> : tensor<1x2x3x3xf32>
res.param @bn.weight : tensor<2xf32> = dense<[4.0, 3.0]> : tensor<2xf32>
res.param @bn.bias : tensor<2xf32> = dense<0.0> : tensor<2xf32>
res.param @bn.running_mean : tensor<2xf32> = dense<0.0> : tensor<2xf32> {buffer}
res.param @bn.running_var : tensor<2xf32> = dense<[3.0, 8.0]> : tensor<2xf32> {buffer}
func.func @zero_shift_bn_then_padded_conv(%x: tensor<?x2x4x4xf32>) -> tensor<?x1x4x4xf32> {
  %g = res.weight @bn.weight : tensor<2xf32>
  %b = res.weight @bn.bias : tensor<2xf32>
  %m = res.weight @bn.running_mean : tensor<2xf32>
  %v = res.weight @bn.running_var : tensor<2xf32>
  %n = res.batch_norm %x, %g, %b, %m, %v {epsilon = 1.0 : f64, momentum = 0.1 : f64, layer = "bn"} : (tensor<?x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<?x2x4x4xf32>
  %w = res.weight @c.weight : tensor<1x2x3x3xf32>
  %c = res.conv2d %n, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "c", padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x2x4x4xf32>, tensor<1x2x3x3xf32>) -> tensor<?x1x4x4xf32>
  return %c : tensor<?x1x4x4xf32>
}

// -----

// The conv's output is used twice: folding would change the other use.
// CHECK-LABEL: func.func @conv_with_other_users
// CHECK: res.conv2d
// CHECK: res.batch_norm
res.param @c.weight : tensor<2x1x1x1xf32> = dense<1.0> : tensor<2x1x1x1xf32>
res.param @bn.weight : tensor<2xf32> = dense<1.0> : tensor<2xf32>
res.param @bn.bias : tensor<2xf32> = dense<0.0> : tensor<2xf32>
res.param @bn.running_mean : tensor<2xf32> = dense<0.0> : tensor<2xf32> {buffer}
res.param @bn.running_var : tensor<2xf32> = dense<1.0> : tensor<2xf32> {buffer}
func.func @conv_with_other_users(%x: tensor<?x1x4x4xf32>) -> tensor<?x2x4x4xf32> {
  %w = res.weight @c.weight : tensor<2x1x1x1xf32>
  %c = res.conv2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "c", padding = array<i64: 0, 0>, stride = array<i64: 1, 1>} : (tensor<?x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<?x2x4x4xf32>
  %g = res.weight @bn.weight : tensor<2xf32>
  %b = res.weight @bn.bias : tensor<2xf32>
  %m = res.weight @bn.running_mean : tensor<2xf32>
  %v = res.weight @bn.running_var : tensor<2xf32>
  // expected-remark@+1 {{batch norm 'bn' not folded: the output of 'c' has other users}}
  %y = res.batch_norm %c, %g, %b, %m, %v {epsilon = 1.0e-5 : f64, momentum = 0.1 : f64, layer = "bn"} : (tensor<?x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<?x2x4x4xf32>
  %s = res.add %y, %c : tensor<?x2x4x4xf32>, tensor<?x2x4x4xf32>
  return %s : tensor<?x2x4x4xf32>
}

// -----

// Pre-activation: bn -> relu -> conv, the relu is in the way.
// CHECK-LABEL: func.func @bn_relu_conv
// CHECK: res.batch_norm
res.param @c.weight : tensor<1x2x1x1xf32> = dense<1.0> : tensor<1x2x1x1xf32>
res.param @bn.weight : tensor<2xf32> = dense<1.0> : tensor<2xf32>
res.param @bn.bias : tensor<2xf32> = dense<0.0> : tensor<2xf32>
res.param @bn.running_mean : tensor<2xf32> = dense<0.0> : tensor<2xf32> {buffer}
res.param @bn.running_var : tensor<2xf32> = dense<1.0> : tensor<2xf32> {buffer}
func.func @bn_relu_conv(%x: tensor<?x2x4x4xf32>) -> tensor<?x1x4x4xf32> {
  %g = res.weight @bn.weight : tensor<2xf32>
  %b = res.weight @bn.bias : tensor<2xf32>
  %m = res.weight @bn.running_mean : tensor<2xf32>
  %v = res.weight @bn.running_var : tensor<2xf32>
  // expected-remark@+1 {{batch norm 'bn' not folded: no convolution or dense layer feeds it, and the activation 'r' stands between it and the next one}}
  %n = res.batch_norm %x, %g, %b, %m, %v {epsilon = 1.0e-5 : f64, momentum = 0.1 : f64, layer = "bn"} : (tensor<?x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<?x2x4x4xf32>
  %r = res.activation relu %n {layer = "r"} : tensor<?x2x4x4xf32>
  %w = res.weight @c.weight : tensor<1x2x1x1xf32>
  %c = res.conv2d %r, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "c", padding = array<i64: 0, 0>, stride = array<i64: 1, 1>} : (tensor<?x2x4x4xf32>, tensor<1x2x1x1xf32>) -> tensor<?x1x4x4xf32>
  return %c : tensor<?x1x4x4xf32>
}

// -----

// Parameters supplied at run time: the folding becomes a
// res.fold_bn_params step that the conv reads its weight and bias from.
// CHECK-LABEL: func.func @unbound
// CHECK-DAG: %[[W:.*]] = res.weight @c.weight
// CHECK-DAG: %[[G:.*]] = res.weight @bn.weight
// CHECK-DAG: %[[B:.*]] = res.weight @bn.bias
// CHECK-DAG: %[[M:.*]] = res.weight @bn.running_mean
// CHECK-DAG: %[[V:.*]] = res.weight @bn.running_var
// CHECK: %[[FW:.*]], %[[FB:.*]] = res.fold_bn_params %[[W]], %[[G]], %[[B]], %[[M]], %[[V]] {epsilon = 1.000000e-05 : f64}
// CHECK: %[[Y:.*]] = res.conv2d %arg0, %[[FW]], %[[FB]] {{.*}}layer = "c"
// CHECK-NOT: res.batch_norm
// CHECK: return %[[Y]]
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
  %y = res.batch_norm %c, %g, %b, %m, %v {epsilon = 1.0e-5 : f64, momentum = 0.1 : f64, layer = "bn"} : (tensor<?x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<?x2x4x4xf32>
  return %y : tensor<?x2x4x4xf32>
}

// -----

// Bound conv, batch-norm statistics supplied at run time: folded at run
// time as well, the conv's bias created by the step.
// CHECK-LABEL: func.func @unbound_statistics
// CHECK: %[[FW:.*]], %[[FB:.*]] = res.fold_bn_params
// CHECK: res.conv2d %arg0, %[[FW]], %[[FB]]
// CHECK-NOT: res.batch_norm
res.param @c.weight : tensor<2x1x1x1xf32> = dense<1.0> : tensor<2x1x1x1xf32>
res.param @bn.weight : tensor<2xf32> = dense<1.0> : tensor<2xf32>
res.param @bn.bias : tensor<2xf32> = dense<0.0> : tensor<2xf32>
res.param @bn.running_mean : tensor<2xf32> {buffer}
res.param @bn.running_var : tensor<2xf32> {buffer}
func.func @unbound_statistics(%x: tensor<?x1x4x4xf32>) -> tensor<?x2x4x4xf32> {
  %w = res.weight @c.weight : tensor<2x1x1x1xf32>
  %c = res.conv2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "c", padding = array<i64: 0, 0>, stride = array<i64: 1, 1>} : (tensor<?x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<?x2x4x4xf32>
  %g = res.weight @bn.weight : tensor<2xf32>
  %b = res.weight @bn.bias : tensor<2xf32>
  %m = res.weight @bn.running_mean : tensor<2xf32>
  %v = res.weight @bn.running_var : tensor<2xf32>
  %y = res.batch_norm %c, %g, %b, %m, %v {epsilon = 1.0e-5 : f64, momentum = 0.1 : f64, layer = "bn"} : (tensor<?x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<?x2x4x4xf32>
  return %y : tensor<?x2x4x4xf32>
}

// -----

// `training` (reserved: no frontend sets it yet) keeps batch statistics.
// CHECK-LABEL: func.func @training
// CHECK: res.batch_norm
res.param @c.weight : tensor<2x1x1x1xf32> = dense<1.0> : tensor<2x1x1x1xf32>
res.param @bn.weight : tensor<2xf32> = dense<1.0> : tensor<2xf32>
res.param @bn.bias : tensor<2xf32> = dense<0.0> : tensor<2xf32>
res.param @bn.running_mean : tensor<2xf32> = dense<0.0> : tensor<2xf32> {buffer}
res.param @bn.running_var : tensor<2xf32> = dense<1.0> : tensor<2xf32> {buffer}
func.func @training(%x: tensor<?x1x4x4xf32>) -> tensor<?x2x4x4xf32> {
  %w = res.weight @c.weight : tensor<2x1x1x1xf32>
  %c = res.conv2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "c", padding = array<i64: 0, 0>, stride = array<i64: 1, 1>} : (tensor<?x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<?x2x4x4xf32>
  %g = res.weight @bn.weight : tensor<2xf32>
  %b = res.weight @bn.bias : tensor<2xf32>
  %m = res.weight @bn.running_mean : tensor<2xf32>
  %v = res.weight @bn.running_var : tensor<2xf32>
  // expected-remark@+1 {{batch norm 'bn' not folded: it is in training mode (batch statistics)}}
  %y = res.batch_norm %c, %g, %b, %m, %v {epsilon = 1.0e-5 : f64, momentum = 0.1 : f64, layer = "bn", training} : (tensor<?x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<?x2x4x4xf32>
  return %y : tensor<?x2x4x4xf32>
}

// -----

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
