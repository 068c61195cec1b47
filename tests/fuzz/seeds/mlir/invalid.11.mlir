func.func @dense(%x: tensor<?x5xf32>, %w: tensor<3x4xf32>) -> tensor<?x3xf32> {
  // expected-error@+1 {{input has 5 features but the weight [3, 4] expects 4}}
  %0 = res.dense %x, %w : (tensor<?x5xf32>, tensor<3x4xf32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}
