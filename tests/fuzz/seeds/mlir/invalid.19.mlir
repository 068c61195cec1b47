func.func @residual_isolated(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  // expected-note@+1 {{required by region isolation constraints}}
  %0 = res.residual %x : tensor<?x4xf32> -> tensor<?x4xf32> branch {
  ^bb0(%a: tensor<?x4xf32>):
    // expected-error@+1 {{using value defined outside the region}}
    res.yield %x : tensor<?x4xf32>
  }
  return %0 : tensor<?x4xf32>
}
