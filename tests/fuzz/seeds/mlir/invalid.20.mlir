res.param @p : tensor<4xf32>
func.func @weight_type() -> tensor<5xf32> {
  // expected-error@+1 {{type 'tensor<5xf32>' does not match parameter @p of type 'tensor<4xf32>'}}
  %0 = res.weight @p : tensor<5xf32>
  return %0 : tensor<5xf32>
}
