func.func @conv_window(%x: tensor<?x4x2x2xf32>, %w: tensor<8x4x5x5xf32>) -> tensor<?x8x1x1xf32> {
  // expected-error@+1 {{window of 5 does not fit the input size 2}}
  %0 = res.conv2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>} : (tensor<?x4x2x2xf32>, tensor<8x4x5x5xf32>) -> tensor<?x8x1x1xf32>
  return %0 : tensor<?x8x1x1xf32>
}
