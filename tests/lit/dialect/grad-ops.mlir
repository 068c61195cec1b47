// The training ops (batch statistics and gradients): round trip and verifier
// errors.
// RUN: res-opt %s -split-input-file -verify-diagnostics | res-opt -split-input-file | FileCheck %s

// CHECK-LABEL: func.func @roundtrip
// CHECK: res.channel_mean %arg0
// CHECK: res.channel_var %arg0, %{{.*}} {unbiased}
// CHECK: res.lerp %arg3, %{{.*}} {momentum = 1.000000e-01 : f64}
// CHECK: res.batch_norm_grad %arg4, %arg0, %arg3
// CHECK: res.batch_norm_grad_gamma %arg4, %arg0
// CHECK: res.channel_sum %arg4
// CHECK: res.conv2d_grad_input %arg4, %arg2 {{{.*}}stride = array<i64: 2, 2>}
// CHECK: res.conv2d_grad_weight %arg0, %arg4
// CHECK: res.activation_grad relu %arg4, %arg4
// CHECK: res.max_pool2d_grad %arg4, %arg4
// CHECK: res.avg_pool2d_grad %arg4
// CHECK: res.global_avg_pool_grad %arg5
// CHECK: res.reshape %arg0
// CHECK: res.upsample_grad %arg0 {factor = 2 : i64}
// CHECK: res.slice_channels %arg0 {offset = 2 : i64}
// CHECK: res.scale %arg0 {factor = 5.000000e-01 : f64}
// CHECK: res.softmax_grad %arg5, %arg5
// CHECK: res.dense_grad_input %arg5, %arg6
// CHECK: res.dense_grad_weight %arg7, %arg5
func.func @roundtrip(%x: tensor<?x4x8x8xf32>, %w: tensor<8x4x3x3xf32>, %w8: tensor<4x8x3x3xf32>, %v: tensor<4xf32>, %dy: tensor<?x4x8x8xf32>, %d2: tensor<?x4xf32>, %dw: tensor<4x3xf32>, %x2: tensor<?x3xf32>) {
  %m = res.channel_mean %x : (tensor<?x4x8x8xf32>) -> tensor<4xf32>
  %var = res.channel_var %x, %m {unbiased} : (tensor<?x4x8x8xf32>, tensor<4xf32>) -> tensor<4xf32>
  %r = res.lerp %v, %var {momentum = 0.1 : f64} : tensor<4xf32>
  %dx = res.batch_norm_grad %dy, %x, %v, %m, %var {epsilon = 1.0e-5 : f64} : (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
  %dg = res.batch_norm_grad_gamma %dy, %x, %m, %var {epsilon = 1.0e-5 : f64} : (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %db = res.channel_sum %dy : (tensor<?x4x8x8xf32>) -> tensor<4xf32>
  // A stride-2 conv with 2 groups of a 16x15x15 input to 4 channels: the input size is
  // only known from the result type.
  %dxs = res.conv2d_grad_input %dy, %w8 {dilation = array<i64: 1, 1>, groups = 2 : i64, padding = array<i64: 1, 1>, stride = array<i64: 2, 2>} : (tensor<?x4x8x8xf32>, tensor<4x8x3x3xf32>) -> tensor<?x16x15x15xf32>
  %dws = res.conv2d_grad_weight %x, %dy {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>) -> tensor<4x4x3x3xf32>
  %da = res.activation_grad relu %dy, %dy : tensor<?x4x8x8xf32>
  %dmp = res.max_pool2d_grad %dy, %dy {kernel = array<i64: 3, 3>, padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32>
  %dap = res.avg_pool2d_grad %dy {kernel = array<i64: 2, 2>, padding = array<i64: 0, 0>, stride = array<i64: 2, 2>} : (tensor<?x4x8x8xf32>) -> tensor<?x4x17x16xf32>
  %dg2 = res.global_avg_pool_grad %d2 : (tensor<?x4xf32>) -> tensor<?x4x5x5xf32>
  %rs = res.reshape %x : (tensor<?x4x8x8xf32>) -> tensor<?x256xf32>
  %du = res.upsample_grad %x {factor = 2 : i64} : (tensor<?x4x8x8xf32>) -> tensor<?x4x4x4xf32>
  %sl = res.slice_channels %x {offset = 2 : i64} : (tensor<?x4x8x8xf32>) -> tensor<?x2x8x8xf32>
  %sc = res.scale %x {factor = 0.5 : f64} : tensor<?x4x8x8xf32>
  %ds = res.softmax_grad %d2, %d2 : tensor<?x4xf32>
  %dd = res.dense_grad_input %d2, %dw : (tensor<?x4xf32>, tensor<4x3xf32>) -> tensor<?x3xf32>
  %ddw = res.dense_grad_weight %x2, %d2 : (tensor<?x3xf32>, tensor<?x4xf32>) -> tensor<4x3xf32>
  return
}

// -----

func.func @conv_grad_wrong_dy(%dy: tensor<?x8x7x7xf32>, %w: tensor<8x4x3x3xf32>) {
  // expected-error@+1 {{the gradient [?, 8, 7, 7] is not the shape [?, 8, 8, 8] of the convolution's output}}
  %dx = res.conv2d_grad_input %dy, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x8x7x7xf32>, tensor<8x4x3x3xf32>) -> tensor<?x4x8x8xf32>
  return
}

// -----

func.func @conv_grad_weight_channels(%x: tensor<?x3x8x8xf32>, %dy: tensor<?x8x8x8xf32>) {
  // expected-error@+1 {{input has 3 channels but the weight [8, 4, 3, 3] with groups=1 expects 4}}
  %dw = res.conv2d_grad_weight %x, %dy {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x3x8x8xf32>, tensor<?x8x8x8xf32>) -> tensor<8x4x3x3xf32>
  return
}

// -----

func.func @bn_grad_channels(%x: tensor<?x4x8x8xf32>, %v: tensor<4xf32>, %g: tensor<5xf32>) {
  // expected-error@+1 {{gamma has 5 elements, expected 4}}
  %dx = res.batch_norm_grad %x, %x, %g, %v, %v {epsilon = 1.0e-5 : f64} : (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>, tensor<5xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
  return
}

// -----

func.func @slice_out_of_range(%x: tensor<?x4x8x8xf32>) {
  // expected-error@+1 {{channels [3, 5) are not within the 4 channels of the input}}
  %s = res.slice_channels %x {offset = 3 : i64} : (tensor<?x4x8x8xf32>) -> tensor<?x2x8x8xf32>
  return
}

// -----

func.func @reshape_count(%x: tensor<?x4x8x8xf32>) {
  // expected-error@+1 {{cannot reshape [?, 4, 8, 8] to [?, 255]}}
  %s = res.reshape %x : (tensor<?x4x8x8xf32>) -> tensor<?x255xf32>
  return
}

// -----

func.func @pool_grad_wrong_dy(%dy: tensor<?x4x3x3xf32>) {
  // expected-error@+1 {{the gradient [?, 4, 3, 3] is not the shape [?, 4, 4, 4] of the pooling's output}}
  %dx = res.avg_pool2d_grad %dy {kernel = array<i64: 2, 2>, padding = array<i64: 0, 0>, stride = array<i64: 2, 2>} : (tensor<?x4x3x3xf32>) -> tensor<?x4x8x8xf32>
  return
}

// -----

func.func @upsample_grad_factor(%dy: tensor<?x4x9x9xf32>) {
  // expected-error@+1 {{gradient size 9 is not a multiple of the factor 2}}
  %dx = res.upsample_grad %dy {factor = 2 : i64} : (tensor<?x4x9x9xf32>) -> tensor<?x4x4x4xf32>
  return
}

// -----

func.func @dense_grad_outputs(%dy: tensor<?x5xf32>, %w: tensor<4x3xf32>) {
  // expected-error@+1 {{the gradient has 5 features but the weight [4, 3] has 4 outputs}}
  %dx = res.dense_grad_input %dy, %w : (tensor<?x5xf32>, tensor<4x3xf32>) -> tensor<?x3xf32>
  return
}

// -----

func.func @dense_grad_weight_pixels(%x: tensor<?x3x4x4xf32>, %dy: tensor<?x5x4x2xf32>) {
  // expected-error@+1 {{must agree in every dim but the features}}
  %dw = res.dense_grad_weight %x, %dy : (tensor<?x3x4x4xf32>, tensor<?x5x4x2xf32>) -> tensor<5x3xf32>
  return
}

// -----

// CHECK-LABEL: func.func @norm_grads
// CHECK: res.layer_norm_grad %arg1, %arg0, %arg2 {epsilon = 1.000000e-05 : f64}
// CHECK: res.layer_norm_grad %arg4, %arg3 {epsilon = 1.000000e-05 : f64}
// CHECK: res.layer_norm_grad_weight %arg1, %arg0 {epsilon = 1.000000e-05 : f64}
// CHECK: res.channel_scale_grad_scale %arg1, %arg0 : (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>) -> tensor<4x1x1xf32>
// CHECK: res.channel_scale_grad_scale %arg4, %arg3 : (tensor<?x5xf32>, tensor<?x5xf32>) -> tensor<5xf32>
func.func @norm_grads(%x: tensor<?x4x8x8xf32>, %dy: tensor<?x4x8x8xf32>, %w: tensor<4xf32>, %v: tensor<?x5xf32>, %dv: tensor<?x5xf32>) {
  %dx = res.layer_norm_grad %dy, %x, %w {epsilon = 1.0e-5 : f64} : (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
  %dv2 = res.layer_norm_grad %dv, %v {epsilon = 1.0e-5 : f64} : (tensor<?x5xf32>, tensor<?x5xf32>) -> tensor<?x5xf32>
  %dw = res.layer_norm_grad_weight %dy, %x {epsilon = 1.0e-5 : f64} : (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>) -> tensor<4xf32>
  %ds = res.channel_scale_grad_scale %dy, %x : (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>) -> tensor<4x1x1xf32>
  %ds2 = res.channel_scale_grad_scale %dv, %v : (tensor<?x5xf32>, tensor<?x5xf32>) -> tensor<5xf32>
  return
}

// -----

func.func @layer_norm_grad_weight_size(%x: tensor<?x4x8x8xf32>, %dy: tensor<?x4x8x8xf32>, %w: tensor<5xf32>) {
  // expected-error@+1 {{weight has 5 elements, expected 4}}
  %dx = res.layer_norm_grad %dy, %x, %w {epsilon = 1.0e-5 : f64} : (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>, tensor<5xf32>) -> tensor<?x4x8x8xf32>
  return
}

// -----

func.func @layer_norm_grad_weight_result(%x: tensor<?x6xf32>, %dy: tensor<?x6xf32>) {
  // expected-error@+1 {{result has 4 elements, expected 6}}
  %dw = res.layer_norm_grad_weight %dy, %x {epsilon = 1.0e-5 : f64} : (tensor<?x6xf32>, tensor<?x6xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @channel_scale_grad_shape(%x: tensor<?x4x8x8xf32>, %dy: tensor<?x4x8x8xf32>) {
  // expected-error@+1 {{result must be [4, 1, 1] for an input of [?, 4, 8, 8], got [4]}}
  %ds = res.channel_scale_grad_scale %dy, %x : (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>) -> tensor<4xf32>
  return
}

// -----

// The gradients of the token ops.
// CHECK-LABEL: func.func @token_grads
// CHECK: res.tokens_grad %arg0 : (tensor<?x6x8xf32>) -> tensor<?x8x2x3xf32>
// CHECK: res.class_token_grad %arg1 : (tensor<?x7x8xf32>) -> tensor<?x6x8xf32>
// CHECK: res.token_batch_sum %arg1 : (tensor<?x7x8xf32>) -> tensor<1x1x8xf32>
// CHECK: res.token_batch_sum %arg1 : (tensor<?x7x8xf32>) -> tensor<1x7x8xf32>
// CHECK: res.token_grad %arg2 {index = 3 : i64} : (tensor<?x8xf32>) -> tensor<?x7x8xf32>
// CHECK: res.attention_heads_grad %arg1, %arg3 {heads = 2 : i64} : (tensor<?x7x8xf32>, tensor<?x7x24xf32>) -> tensor<?x7x24xf32>
func.func @token_grads(%t: tensor<?x6x8xf32>, %c: tensor<?x7x8xf32>, %v: tensor<?x8xf32>, %qkv: tensor<?x7x24xf32>) {
  %0 = res.tokens_grad %t : (tensor<?x6x8xf32>) -> tensor<?x8x2x3xf32>
  %1 = res.class_token_grad %c : (tensor<?x7x8xf32>) -> tensor<?x6x8xf32>
  %2 = res.token_batch_sum %c : (tensor<?x7x8xf32>) -> tensor<1x1x8xf32>
  %3 = res.token_batch_sum %c : (tensor<?x7x8xf32>) -> tensor<1x7x8xf32>
  %4 = res.token_grad %v {index = 3} : (tensor<?x8xf32>) -> tensor<?x7x8xf32>
  %5 = res.attention_heads_grad %c, %qkv {heads = 2} : (tensor<?x7x8xf32>, tensor<?x7x24xf32>) -> tensor<?x7x24xf32>
  return
}

// -----

func.func @tokens_grad_image(%t: tensor<?x6x8xf32>) -> tensor<?x8x2x2xf32> {
  // expected-error@+1 {{gradient [?, 6, 8] is not the tokens of an image [?, 8, 2, 2]}}
  %0 = res.tokens_grad %t : (tensor<?x6x8xf32>) -> tensor<?x8x2x2xf32>
  return %0 : tensor<?x8x2x2xf32>
}

// -----

func.func @token_batch_sum_too_many(%c: tensor<?x7x8xf32>) -> tensor<1x8x8xf32> {
  // expected-error@+1 {{result must be [1, K, 8] with K at most the 7 tokens, got [1, 8, 8]}}
  %0 = res.token_batch_sum %c : (tensor<?x7x8xf32>) -> tensor<1x8x8xf32>
  return %0 : tensor<1x8x8xf32>
}

// -----

func.func @token_grad_range(%v: tensor<?x8xf32>) -> tensor<?x7x8xf32> {
  // expected-error@+1 {{cannot put token 7 of [?, 8] into [?, 7, 8]}}
  %0 = res.token_grad %v {index = 7} : (tensor<?x8xf32>) -> tensor<?x7x8xf32>
  return %0 : tensor<?x7x8xf32>
}

// -----

func.func @attention_heads_grad_heads(%c: tensor<?x7x8xf32>, %qkv: tensor<?x7x24xf32>) -> tensor<?x7x24xf32> {
  // expected-error@+1 {{are not the output and the q, k, v of 3 heads}}
  %0 = res.attention_heads_grad %c, %qkv {heads = 3} : (tensor<?x7x8xf32>, tensor<?x7x24xf32>) -> tensor<?x7x24xf32>
  return %0 : tensor<?x7x24xf32>
}
