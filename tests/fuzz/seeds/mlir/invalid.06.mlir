func.func @bn_eps(%x: tensor<?x4xf32>, %v: tensor<4xf32>) -> tensor<?x4xf32> {
  // expected-error@+1 {{epsilon must be positive}}
  %0 = res.batch_norm %x, %v, %v, %v, %v {epsilon = 0.0 : f64, momentum = 1.0e-01 : f64} : (tensor<?x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}
