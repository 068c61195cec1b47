// Verifier errors of the res dialect, one case per split.
// RUN: res-opt %s -split-input-file -verify-diagnostics

func.func @conv_channels(%x: tensor<?x3x8x8xf32>, %w: tensor<8x4x3x3xf32>) -> tensor<?x8x8x8xf32> {
  // expected-error@+1 {{input has 3 channels but the weight [8, 4, 3, 3] with groups=1 expects 4}}
  %0 = res.conv2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x3x8x8xf32>, tensor<8x4x3x3xf32>) -> tensor<?x8x8x8xf32>
  return %0 : tensor<?x8x8x8xf32>
}
