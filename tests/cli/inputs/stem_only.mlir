// Test model for resc's CLI tests, written by tests/cli/inputs/make_inputs.py.
module {
  res.param @stem.weight : tensor<4x3x3x3xf32>
  res.param @stem.bias : tensor<4xf32>
  func.func @stem_only(%x: tensor<?x3x8x8xf32> {res.name = "image"}) -> (tensor<?x4x8x8xf32> {res.name = "features"}) {
    %v1 = res.weight @stem.weight : tensor<4x3x3x3xf32>
    %v2 = res.weight @stem.bias : tensor<4xf32>
    %v3 = res.conv2d %x, %v1, %v2 {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "stem", padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
    return %v3 : tensor<?x4x8x8xf32>
  }
}
