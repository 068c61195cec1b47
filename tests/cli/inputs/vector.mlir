// Test model for resc's CLI tests, written by tests/cli/inputs/make_inputs.py.
module {
  res.param @fc.weight : tensor<4x4xf32>
  res.param @fc.bias : tensor<4xf32>
  func.func @vector(%x: tensor<?x4xf32> {res.name = "x"}) -> (tensor<?x4xf32> {res.name = "y"}) {
    %v1 = res.weight @fc.weight : tensor<4x4xf32>
    %v2 = res.weight @fc.bias : tensor<4xf32>
    %v3 = res.dense %x, %v1, %v2 {layer = "fc"} : (tensor<?x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
    %v4 = res.activation tanh %v3 : tensor<?x4xf32>
    return %v4 : tensor<?x4xf32>
  }
}
