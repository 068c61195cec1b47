func.func @bn_params(%x: tensor<?x4x8x8xf32>, %v: tensor<4xf32>, %bad: tensor<5xf32>) -> tensor<?x4x8x8xf32> {
  // expected-error@+1 {{running_var has 5 elements, expected 4}}
  %0 = res.batch_norm %x, %v, %v, %v, %bad {epsilon = 1.0e-05 : f64, momentum = 1.0e-01 : f64} : (tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<5xf32>) -> tensor<?x4x8x8xf32>
  return %0 : tensor<?x4x8x8xf32>
}
