// A parameter of 3e9 x 27 elements: valid IR, but far too large to seed;
// resc must say so instead of dying in the allocation.
module {
  res.param @w : tensor<3000000000x3x3x3xf32>
  func.func @huge(%x: tensor<?x3x8x8xf32>) -> tensor<?x3000000000x8x8xf32> {
    %w = res.weight @w : tensor<3000000000x3x3x3xf32>
    %y = res.conv2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x3x8x8xf32>, tensor<3000000000x3x3x3xf32>) -> tensor<?x3000000000x8x8xf32>
    return %y : tensor<?x3000000000x8x8xf32>
  }
}
