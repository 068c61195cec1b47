// res-generate-gradients on a weight-tied repeat of a post-activation block
// with both scales and a training-mode batch norm, then a dense head: the
// training forward pass is flat, the running statistics are updated once per
// iteration, the backward pass applies each op's gradient in reverse and sums
// the tied parameters' gradients. Gradient values are checked numerically by
// tests/interpreter (finite differences) and tests/codegen.
// RUN: res-opt %s -res-generate-gradients -verify-diagnostics | FileCheck %s
// RUN: res-opt %s -res-generate-gradients=input-grads=false 2>/dev/null \
// RUN:   | FileCheck %s --check-prefix=NOX
// Without the input's gradient, the first iteration's input-gradient
// convolution (which only that needed) is gone; the second's stays.
// NOX-LABEL: func.func @m_train(
// NOX-NOT: "input_grad"
// NOX-SAME: {res.name = "bn.bias", res.role = "param_grad"}
// NOX: res.conv2d_grad_input
// NOX-NOT: res.conv2d_grad_input
// NOX: return
// The model itself is left as it was.
// CHECK-LABEL: func.func @m(
// CHECK: res.repeat
// CHECK-LABEL: func.func @m_train(
// CHECK-SAME: %arg0: tensor<?x4x8x8xf32> {res.name = "x", res.role = "input"}
// CHECK-SAME: %arg1: tensor<?x2xf32> {res.name = "logits", res.role = "output_grad"}
// CHECK-SAME: {res.name = "logits", res.role = "output"}
// CHECK-SAME: {res.name = "x", res.role = "input_grad"}
// CHECK-SAME: {res.name = "bn.bias", res.role = "param_grad"}
// CHECK-SAME: {res.name = "bn.weight", res.role = "param_grad"}
// CHECK-SAME: {res.name = "c.weight", res.role = "param_grad"}
// CHECK-SAME: {res.name = "fc.bias", res.role = "param_grad"}
// CHECK-SAME: {res.name = "fc.weight", res.role = "param_grad"}
// CHECK-SAME: {res.name = "bn.running_mean", res.role = "running_stat"}
// CHECK-SAME: {res.name = "bn.running_var", res.role = "running_stat"}
// CHECK-SAME: attributes {res.train_of = "m"}
// CHECK-NOT: res.repeat
// CHECK-NOT: res.residual
// Iteration 1: batch statistics, normalisation with them, running updates.
// CHECK: %[[C1:.*]] = res.conv2d %arg0
// CHECK: %[[RM0:.*]] = res.weight @bn.running_mean
// CHECK: %[[RV0:.*]] = res.weight @bn.running_var
// CHECK: %[[M1:.*]] = res.channel_mean %[[C1]]
// CHECK: %[[V1:.*]] = res.channel_var %[[C1]], %[[M1]] {layer = "blk.bn"}
// CHECK: %[[U1:.*]] = res.channel_var %[[C1]], %[[M1]] {layer = "blk.bn", unbiased}
// CHECK: %[[N1:.*]] = res.batch_norm %[[C1]], %{{.*}}, %{{.*}}, %[[M1]], %[[V1]]
// CHECK: %[[RM1:.*]] = res.lerp %[[RM0]], %[[M1]] {{.*}}momentum = 1.000000e-01
// CHECK: %[[RV1:.*]] = res.lerp %[[RV0]], %[[U1]]
// CHECK: %[[H1:.*]] = res.scale %[[N1]] {factor = 5.000000e-01
// CHECK: %[[S1:.*]] = res.add %arg0, %[[H1]]
// CHECK: %[[A1:.*]] = res.scale %[[S1]] {factor = 7.500000e-01
// CHECK: %[[Y1:.*]] = res.activation relu %[[A1]]
// Iteration 2 continues the running statistics of iteration 1.
// CHECK: %[[C2:.*]] = res.conv2d %[[Y1]]
// CHECK: %[[RM2:.*]] = res.lerp %[[RM1]]
// CHECK: %[[RV2:.*]] = res.lerp %[[RV1]]
// CHECK: %[[OUT:.*]] = res.dense
// Backward, from the head down.
// CHECK: %[[DP:.*]] = res.dense_grad_input %arg1
// CHECK: %[[DFW:.*]] = res.dense_grad_weight %{{.*}}, %arg1
// CHECK: %[[DFB:.*]] = res.channel_sum %arg1
// CHECK: res.global_avg_pool_grad %[[DP]]
// CHECK: res.activation_grad relu
// CHECK: %[[G2:.*]] = res.scale %{{.*}} {factor = 7.500000e-01 : f64, layer = "blk.output_scale.grad"}
// CHECK: %[[F2:.*]] = res.scale %[[G2]] {factor = 5.000000e-01 : f64, layer = "blk.branch_scale.grad"}
// CHECK: %[[DN2:.*]] = res.batch_norm_grad %[[F2]], %[[C2]]
// CHECK: res.batch_norm_grad_gamma %[[F2]], %[[C2]]
// CHECK: res.conv2d_grad_input %[[DN2]]
// The fan-in dL/dx = a * g + h * F'(a * g): the shortcut's and the branch's.
// CHECK: %[[DY1:.*]] = res.add %[[G2]], %{{.*}} {layer = "blk.conv.grad_sum"}
// CHECK: %[[DW2:.*]] = res.conv2d_grad_weight %[[Y1]], %[[DN2]]
// CHECK: res.activation_grad relu %[[DY1]], %[[A1]]
// CHECK: res.conv2d_grad_input
// CHECK: %[[DX:.*]] = res.add
// Tied parameters: the gradients of both iterations summed.
// CHECK: %[[DW1:.*]] = res.conv2d_grad_weight %arg0
// CHECK: %[[DW:.*]] = res.add %[[DW2]], %[[DW1]] {layer = "c.weight.grad_sum"}
// CHECK: return %[[OUT]], %[[DX]], %{{.*}}, %{{.*}}, %[[DW]], %[[DFB]], %[[DFW]], %[[RM2]], %[[RV2]]

module {
  res.param @c.weight : tensor<4x4x3x3xf32>
  res.param @bn.weight : tensor<4xf32>
  res.param @bn.bias : tensor<4xf32>
  res.param @bn.running_mean : tensor<4xf32> {buffer}
  res.param @bn.running_var : tensor<4xf32> {buffer}
  res.param @fc.weight : tensor<2x4xf32>
  res.param @fc.bias : tensor<2xf32>
  // expected-remark@+1 {{the backward pass reads 7 activations of the forward pass: 1540 floats (7 KiB) per sample}}
  func.func @m(%x: tensor<?x4x8x8xf32> {res.name = "x"}) -> (tensor<?x2xf32> {res.name = "logits"}) {
    %r = res.repeat %x {count = 2 : i64, layer = "rep"} : tensor<?x4x8x8xf32> body {
    ^bb0(%a: tensor<?x4x8x8xf32>):
      %y = res.residual %a after relu {branch_scale = 0.5 : f64, layer = "blk", output_scale = 0.75 : f64} : tensor<?x4x8x8xf32> -> tensor<?x4x8x8xf32> branch {
      ^bb0(%b: tensor<?x4x8x8xf32>):
        %w = res.weight @c.weight : tensor<4x4x3x3xf32>
        %c = res.conv2d %b, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "blk.conv", padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<?x4x8x8xf32>
        %g = res.weight @bn.weight : tensor<4xf32>
        %be = res.weight @bn.bias : tensor<4xf32>
        %rm = res.weight @bn.running_mean : tensor<4xf32>
        %rv = res.weight @bn.running_var : tensor<4xf32>
        %n = res.batch_norm %c, %g, %be, %rm, %rv {epsilon = 1.0e-5 : f64, layer = "blk.bn", momentum = 0.1 : f64} : (tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
        res.yield %n : tensor<?x4x8x8xf32>
      }
      res.yield %y : tensor<?x4x8x8xf32>
    }
    %p = res.global_avg_pool %r {layer = "pool"} : (tensor<?x4x8x8xf32>) -> tensor<?x4xf32>
    %fw = res.weight @fc.weight : tensor<2x4xf32>
    %fb = res.weight @fc.bias : tensor<2xf32>
    %o = res.dense %p, %fw, %fb {layer = "fc"} : (tensor<?x4xf32>, tensor<2x4xf32>, tensor<2xf32>) -> tensor<?x2xf32>
    return %o : tensor<?x2xf32>
  }
}
