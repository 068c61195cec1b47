func.func @weight_unknown() -> tensor<5xf32> {
  // expected-error@+1 {{unknown parameter @q}}
  %0 = res.weight @q : tensor<5xf32>
  return %0 : tensor<5xf32>
}
