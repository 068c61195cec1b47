// res-fold-layernorm: a layer norm's gamma and beta go into the dense layer,
// 1x1 convolution or attention input projection that is its only user;
// every norm it leaves alone has a remark saying why.
// RUN: res-opt %s -split-input-file -res-fold-layernorm -verify-diagnostics | FileCheck %s

// gamma [2, 3], beta [1, 0.5]: W' = W diag(gamma) = [[2, 6], [6, 12]],
// b' = b + W beta = [1 + 1 + 1, 1 + 3 + 2] = [3, 6]. The norm keeps only
// its normalisation.
// CHECK-LABEL: res.param @fc.weight.ln_folded : tensor<2x2xf32> = dense<{{\[}}[2.000000e+00, 6.000000e+00], [6.000000e+00, 1.200000e+01]]> : tensor<2x2xf32> {res.folded_ln = "ln"}
// CHECK-NEXT: res.param @fc.bias.ln_folded : tensor<2xf32> = dense<[3.000000e+00, 6.000000e+00]>
// CHECK-NOT: res.param @ln.
// CHECK-NOT: res.param @fc.weight :
// CHECK-LABEL: func.func @dense_after_norm
// CHECK: %[[N:.*]] = res.layer_norm %arg0 {epsilon = 1.000000e-05 : f64, layer = "ln"} : (tensor<?x3x2xf32>) -> tensor<?x3x2xf32>
// CHECK: %[[W:.*]] = res.weight @fc.weight.ln_folded
// CHECK: %[[B:.*]] = res.weight @fc.bias.ln_folded
// CHECK: res.dense %[[N]], %[[W]], %[[B]] {layer = "fc"}
res.param @ln.weight : tensor<2xf32> = dense<[2.0, 3.0]> : tensor<2xf32>
res.param @ln.bias : tensor<2xf32> = dense<[1.0, 0.5]> : tensor<2xf32>
res.param @fc.weight : tensor<2x2xf32> = dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
res.param @fc.bias : tensor<2xf32> = dense<1.0> : tensor<2xf32>
func.func @dense_after_norm(%x: tensor<?x3x2xf32>) -> tensor<?x3x2xf32> {
  %g = res.weight @ln.weight : tensor<2xf32>
  %b = res.weight @ln.bias : tensor<2xf32>
  %n = res.layer_norm %x, %g, %b {epsilon = 1.0e-05 : f64, layer = "ln"} : (tensor<?x3x2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<?x3x2xf32>
  %w = res.weight @fc.weight : tensor<2x2xf32>
  %b0 = res.weight @fc.bias : tensor<2xf32>
  %d = res.dense %n, %w, %b0 {layer = "fc"} : (tensor<?x3x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<?x3x2xf32>
  return %d : tensor<?x3x2xf32>
}

// -----

// ConvNeXt's norm over channels before a 1x1 convolution without a bias:
// the convolution gets one, W beta = [1 * 1 + 2 * 0.5] = [2].
// CHECK-LABEL: res.param @pw.weight.ln_folded : tensor<1x2x1x1xf32> = dense<{{\[}}[{{\[}}[2.000000e+00]], {{\[}}[6.000000e+00]]]]>
// CHECK-NEXT: res.param @pw.bias.ln_folded : tensor<1xf32> = dense<2.000000e+00>
// CHECK-LABEL: func.func @conv_after_norm
// CHECK: res.layer_norm %arg0 {
// CHECK: res.conv2d {{.*}} {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "pw"
res.param @ln.weight : tensor<2xf32> = dense<[2.0, 3.0]> : tensor<2xf32>
res.param @ln.bias : tensor<2xf32> = dense<[1.0, 0.5]> : tensor<2xf32>
res.param @pw.weight : tensor<1x2x1x1xf32> = dense<[[[[1.0]], [[2.0]]]]> : tensor<1x2x1x1xf32>
func.func @conv_after_norm(%x: tensor<?x2x4x4xf32>) -> tensor<?x1x4x4xf32> {
  %g = res.weight @ln.weight : tensor<2xf32>
  %b = res.weight @ln.bias : tensor<2xf32>
  %n = res.layer_norm %x, %g, %b {epsilon = 1.0e-06 : f64, layer = "ln"} : (tensor<?x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<?x2x4x4xf32>
  %w = res.weight @pw.weight : tensor<1x2x1x1xf32>
  %c = res.conv2d %n, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "pw", padding = array<i64: 0, 0>, stride = array<i64: 1, 1>} : (tensor<?x2x4x4xf32>, tensor<1x2x1x1xf32>) -> tensor<?x1x4x4xf32>
  return %c : tensor<?x1x4x4xf32>
}

// -----

// Attention without biases: its input projection gets the folded bias and
// its output projection a zero one (the op has both biases or neither).
// Rows 0..5 of the input weight are [1, 0]: W' rows [2, 0], bias 1 each.
// CHECK-LABEL: res.param @attn.in_proj_weight.ln_folded : tensor<6x2xf32> = dense<{{\[}}[2.000000e+00, 0.000000e+00]
// CHECK-NEXT: res.param @attn.in_proj_bias.ln_folded : tensor<6xf32> = dense<1.000000e+00>
// CHECK: res.param @attn.out_proj.bias : tensor<2xf32> = dense<0.000000e+00>
// CHECK-LABEL: func.func @attention_after_norm
// CHECK: %[[N:.*]] = res.layer_norm %arg0 {
// CHECK: res.attention %[[N]], in(%{{.*}}, %{{.*}}), out(%{{.*}}, %{{.*}})
res.param @ln.weight : tensor<2xf32> = dense<[2.0, 3.0]> : tensor<2xf32>
res.param @ln.bias : tensor<2xf32> = dense<[1.0, 0.5]> : tensor<2xf32>
res.param @attn.in_proj_weight : tensor<6x2xf32> = dense<[[1.0, 0.0], [1.0, 0.0], [1.0, 0.0], [1.0, 0.0], [1.0, 0.0], [1.0, 0.0]]> : tensor<6x2xf32>
res.param @attn.out_proj.weight : tensor<2x2xf32> = dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>
func.func @attention_after_norm(%x: tensor<?x3x2xf32>) -> tensor<?x3x2xf32> {
  %g = res.weight @ln.weight : tensor<2xf32>
  %b = res.weight @ln.bias : tensor<2xf32>
  %n = res.layer_norm %x, %g, %b {epsilon = 1.0e-05 : f64, layer = "ln"} : (tensor<?x3x2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<?x3x2xf32>
  %wi = res.weight @attn.in_proj_weight : tensor<6x2xf32>
  %wo = res.weight @attn.out_proj.weight : tensor<2x2xf32>
  %a = res.attention %n, in(%wi), out(%wo) {heads = 1 : i64, layer = "attn"} : (tensor<?x3x2xf32>, tensor<6x2xf32>, tensor<2x2xf32>) -> tensor<?x3x2xf32>
  return %a : tensor<?x3x2xf32>
}

// -----

// Left alone: an activation, a 3x3 convolution (it mixes positions, and
// pads), two users, parameters supplied at run time.
// CHECK-LABEL: func.func @kept
// CHECK-COUNT-4: res.layer_norm %{{[^ ]*}}, %{{.*}}, %{{.*}} {
res.param @ln.weight : tensor<2xf32> = dense<[2.0, 3.0]> : tensor<2xf32>
res.param @ln.bias : tensor<2xf32> = dense<[1.0, 0.5]> : tensor<2xf32>
res.param @ln.runtime : tensor<2xf32>
res.param @c.weight : tensor<2x2x3x3xf32> = dense<1.0> : tensor<2x2x3x3xf32>
res.param @fc.weight : tensor<2x2xf32> = dense<1.0> : tensor<2x2xf32>
func.func @kept(%x: tensor<?x2x4x4xf32>, %t: tensor<?x3x2xf32>) -> (tensor<?x2x4x4xf32>, tensor<?x3x2xf32>, tensor<?x3x2xf32>, tensor<?x3x2xf32>) {
  %g = res.weight @ln.weight : tensor<2xf32>
  %b = res.weight @ln.bias : tensor<2xf32>
  // expected-remark @below {{layer norm 'ln1' keeps its affine: 'c' after it is not a 1x1 convolution of one group}}
  %n1 = res.layer_norm %x, %g, %b {epsilon = 1.0e-06 : f64, layer = "ln1"} : (tensor<?x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<?x2x4x4xf32>
  %wc = res.weight @c.weight : tensor<2x2x3x3xf32>
  %c = res.conv2d %n1, %wc {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "c", padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x2x4x4xf32>, tensor<2x2x3x3xf32>) -> tensor<?x2x4x4xf32>
  // expected-remark @below {{layer norm 'ln2' keeps its affine: its only user is not a dense layer, a 1x1 convolution or attention}}
  %n2 = res.layer_norm %t, %g, %b {epsilon = 1.0e-05 : f64, layer = "ln2"} : (tensor<?x3x2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<?x3x2xf32>
  %a = res.activation gelu %n2 {layer = "act"} : tensor<?x3x2xf32>
  // expected-remark @below {{layer norm 'ln3' keeps its affine: its only user is not}}
  %n3 = res.layer_norm %t, %g, %b {epsilon = 1.0e-05 : f64, layer = "ln3"} : (tensor<?x3x2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<?x3x2xf32>
  %wf = res.weight @fc.weight : tensor<2x2xf32>
  %d1 = res.dense %n3, %wf {layer = "fc1"} : (tensor<?x3x2xf32>, tensor<2x2xf32>) -> tensor<?x3x2xf32>
  %d2 = res.add %d1, %n3 : tensor<?x3x2xf32>, tensor<?x3x2xf32>
  %r = res.weight @ln.runtime : tensor<2xf32>
  // expected-remark @below {{layer norm 'ln4' keeps its affine: its parameters are supplied at run time}}
  %n4 = res.layer_norm %t, %r, %b {epsilon = 1.0e-05 : f64, layer = "ln4"} : (tensor<?x3x2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<?x3x2xf32>
  %d3 = res.dense %n4, %wf {layer = "fc2"} : (tensor<?x3x2xf32>, tensor<2x2xf32>) -> tensor<?x3x2xf32>
  return %c, %a, %d2, %d3 : tensor<?x2x4x4xf32>, tensor<?x3x2xf32>, tensor<?x3x2xf32>, tensor<?x3x2xf32>
}
