// Parses, but the verifier rejects the conv: 3 input channels, weight for 4.
module {
  res.param @w : tensor<8x4x3x3xf32>
  func.func @m(%x: tensor<?x3x8x8xf32>) -> tensor<?x8x8x8xf32> {
    %w = res.weight @w : tensor<8x4x3x3xf32>
    %y = res.conv2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x3x8x8xf32>, tensor<8x4x3x3xf32>) -> tensor<?x8x8x8xf32>
    return %y : tensor<?x8x8x8xf32>
  }
}
