// Test model for resc's CLI tests, written by tests/cli/inputs/make_inputs.py.
module {
  res.param @stem.weight : tensor<4x3x3x3xf32>
  res.param @stem.bias : tensor<4xf32>
  res.param @fc.weight : tensor<10x4xf32>
  res.param @fc.bias : tensor<10xf32>
  func.func @dynamic_hw(%x: tensor<?x3x?x?xf32> {res.name = "image"}) -> (tensor<?x10xf32> {res.name = "logits"}) {
    %v1 = res.weight @stem.weight : tensor<4x3x3x3xf32>
    %v2 = res.weight @stem.bias : tensor<4xf32>
    %v3 = res.conv2d %x, %v1, %v2 {dilation = array<i64: 1, 1>, groups = 1 : i64, layer = "stem", padding = array<i64: 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x3x?x?xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<?x4x?x?xf32>
    %v4 = res.activation relu %v3 : tensor<?x4x?x?xf32>
    %v5 = res.global_avg_pool %v4 : (tensor<?x4x?x?xf32>) -> tensor<?x4xf32>
    %v6 = res.weight @fc.weight : tensor<10x4xf32>
    %v7 = res.weight @fc.bias : tensor<10xf32>
    %v8 = res.dense %v5, %v6, %v7 {layer = "fc"} : (tensor<?x4xf32>, tensor<10x4xf32>, tensor<10xf32>) -> tensor<?x10xf32>
    return %v8 : tensor<?x10xf32>
  }
}
