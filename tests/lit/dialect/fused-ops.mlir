// The ops the passes create: round trip and verifier errors.
// RUN: res-opt %s -split-input-file -verify-diagnostics | res-opt -split-input-file | FileCheck %s

// CHECK-LABEL: func.func @roundtrip
// CHECK: %[[FW:.*]], %[[FB:.*]] = res.fold_bn_params %arg1, %arg2, %arg2, %arg2, %arg2 bias %arg2 {epsilon = 1.000000e-03 : f64}
// CHECK: res.fused_conv2d %arg0, %[[FW]] bias %[[FB]] residual %arg3 act relu {conv_scale = 5.000000e-01 : f64
// CHECK: res.fused_conv2d %arg0, %arg1 {
func.func @roundtrip(%x: tensor<?x4x8x8xf32>, %w: tensor<8x4x3x3xf32>, %v: tensor<8xf32>, %r: tensor<?x6x8x8xf32>) -> tensor<?x8x8x8xf32> {
  %fw, %fb = res.fold_bn_params %w, %v, %v, %v, %v bias %v {epsilon = 1.0e-3 : f64} : (tensor<8x4x3x3xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> (tensor<8x4x3x3xf32>, tensor<8xf32>)
  %y = res.fused_conv2d %x, %fw bias %fb residual %r act relu {conv_scale = 0.5 : f64, dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x4x8x8xf32>, tensor<8x4x3x3xf32>, tensor<8xf32>, tensor<?x6x8x8xf32>) -> tensor<?x8x8x8xf32>
  %z = res.fused_conv2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x4x8x8xf32>, tensor<8x4x3x3xf32>) -> tensor<?x8x8x8xf32>
  return %y : tensor<?x8x8x8xf32>
}

// -----

func.func @more_residual_channels(%x: tensor<?x4x8x8xf32>, %w: tensor<8x4x3x3xf32>, %r: tensor<?x9x8x8xf32>) -> tensor<?x8x8x8xf32> {
  // expected-error@+1 {{cannot add the residual [?, 9, 8, 8] to the result [?, 8, 8, 8]}}
  %y = res.fused_conv2d %x, %w residual %r {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x4x8x8xf32>, tensor<8x4x3x3xf32>, tensor<?x9x8x8xf32>) -> tensor<?x8x8x8xf32>
  return %y : tensor<?x8x8x8xf32>
}

// -----

func.func @scale_without_residual(%x: tensor<?x4x8x8xf32>, %w: tensor<8x4x3x3xf32>) -> tensor<?x8x8x8xf32> {
  // expected-error@+1 {{conv_scale must be 1 without a residual}}
  %y = res.fused_conv2d %x, %w {conv_scale = 2.0 : f64, dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x4x8x8xf32>, tensor<8x4x3x3xf32>) -> tensor<?x8x8x8xf32>
  return %y : tensor<?x8x8x8xf32>
}

// -----

func.func @fused_conv_channels(%x: tensor<?x3x8x8xf32>, %w: tensor<8x4x3x3xf32>) -> tensor<?x8x8x8xf32> {
  // expected-error@+1 {{input has 3 channels but the weight [8, 4, 3, 3] with groups=1 expects 4}}
  %y = res.fused_conv2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x3x8x8xf32>, tensor<8x4x3x3xf32>) -> tensor<?x8x8x8xf32>
  return %y : tensor<?x8x8x8xf32>
}

// -----

func.func @fold_wrong_gamma(%w: tensor<8x4x3x3xf32>, %v: tensor<8xf32>, %g: tensor<7xf32>) -> tensor<8xf32> {
  // expected-error@+1 {{gamma has 7 elements, expected 8}}
  %fw, %fb = res.fold_bn_params %w, %g, %v, %v, %v {epsilon = 1.0e-3 : f64} : (tensor<8x4x3x3xf32>, tensor<7xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> (tensor<8x4x3x3xf32>, tensor<8xf32>)
  return %fb : tensor<8xf32>
}

// -----

func.func @fold_bad_epsilon(%w: tensor<8x4x3x3xf32>, %v: tensor<8xf32>) -> tensor<8xf32> {
  // expected-error@+1 {{epsilon must be positive}}
  %fw, %fb = res.fold_bn_params %w, %v, %v, %v, %v {epsilon = 0.0 : f64} : (tensor<8x4x3x3xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> (tensor<8x4x3x3xf32>, tensor<8xf32>)
  return %fb : tensor<8xf32>
}
