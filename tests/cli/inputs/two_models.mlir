// Two models in one module: resc needs --model to choose.
module {
  res.param @fc.weight : tensor<2x2xf32>
  func.func @first(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
    %w = res.weight @fc.weight : tensor<2x2xf32>
    %y = res.dense %x, %w {layer = "fc"} : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
    return %y : tensor<?x2xf32>
  }
  func.func @second(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
    %y = res.activation relu %x : tensor<?x2xf32>
    return %y : tensor<?x2xf32>
  }
}
